package dev.fcgi.protocol;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The names web servers send with nearly every request (nginx's {@code fastcgi_params}, Apache's and lighttpd's
 * CGI variables, the common {@code HTTP_*} headers), as shared {@code String} constants: a decoder that finds a
 * name here takes the constant instead of allocating its bytes and a new string. Immutable, so shared freely.
 */
final class KnownParamNames {

    private static final String[] NAMES = {
            "QUERY_STRING", "REQUEST_METHOD", "CONTENT_TYPE", "CONTENT_LENGTH", "SCRIPT_NAME", "SCRIPT_FILENAME",
            "REQUEST_URI", "DOCUMENT_URI", "DOCUMENT_ROOT", "SERVER_PROTOCOL", "REQUEST_SCHEME", "HTTPS",
            "GATEWAY_INTERFACE", "SERVER_SOFTWARE", "REMOTE_ADDR", "REMOTE_PORT", "REMOTE_USER", "SERVER_ADDR",
            "SERVER_PORT", "SERVER_NAME", "REDIRECT_STATUS", "PATH_INFO", "PATH_TRANSLATED", "AUTH_TYPE",
            "REQUEST_TIME", "REQUEST_TIME_FLOAT", "SERVER_ADMIN", "SERVER_SIGNATURE", "CONTEXT_DOCUMENT_ROOT",
            "CONTEXT_PREFIX", "REQUEST_BODY_FILE", "HTTP_HOST", "HTTP_USER_AGENT", "HTTP_ACCEPT",
            "HTTP_ACCEPT_LANGUAGE", "HTTP_ACCEPT_ENCODING", "HTTP_CONNECTION", "HTTP_COOKIE", "HTTP_REFERER",
            "HTTP_CACHE_CONTROL", "HTTP_UPGRADE_INSECURE_REQUESTS", "HTTP_X_FORWARDED_FOR",
            "HTTP_X_FORWARDED_PROTO", "HTTP_X_REAL_IP", "HTTP_X_REQUEST_ID", "HTTP_AUTHORIZATION",
            "HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH", "HTTP_ORIGIN", "HTTP_PRAGMA", "HTTP_IF_MODIFIED_SINCE",
            "HTTP_IF_NONE_MATCH", "HTTP_SEC_FETCH_SITE", "HTTP_SEC_FETCH_MODE", "HTTP_SEC_FETCH_DEST",
            "HTTP_DNT", "HTTP_TE", "FCGI_ROLE"};

    /** Open addressing, a power of two at least four times the names, so that probes stay short. */
    private static final String[] TABLE = new String[256];
    private static final byte[][] BYTES = new byte[TABLE.length][];
    private static final int MAX_LENGTH;

    static {
        int max = 0;
        for (String name : NAMES) {
            byte[] bytes = name.getBytes(StandardCharsets.ISO_8859_1);
            int slot = hash(bytes.length, bytes[0], bytes[bytes.length / 2], bytes[bytes.length - 1])
                    & (TABLE.length - 1);
            while (TABLE[slot] != null) {
                slot = (slot + 1) & (TABLE.length - 1);
            }
            TABLE[slot] = name;
            BYTES[slot] = bytes;
            max = Math.max(max, bytes.length);
        }
        MAX_LENGTH = max;
    }

    private KnownParamNames() {
    }

    /**
     * The constant for the {@code length} bytes at {@code bytes[offset]}, or {@code null} when they are not all
     * there (before {@code end}) or are no known name.
     */
    static String find(byte[] bytes, int offset, int end, int length) {
        if (length == 0 || length > MAX_LENGTH || end - offset < length) {
            return null;
        }
        int hash = hash(length, bytes[offset], bytes[offset + length / 2], bytes[offset + length - 1]);
        for (int slot = hash & (TABLE.length - 1); TABLE[slot] != null; slot = (slot + 1) & (TABLE.length - 1)) {
            byte[] candidate = BYTES[slot];
            if (candidate.length == length && Arrays.equals(candidate, 0, length, bytes, offset, offset + length)) {
                return TABLE[slot];
            }
        }
        return null;
    }

    /** A hash of the length and three bytes: cheap to take from a buffer, and it tells the known names apart. */
    private static int hash(int length, byte first, byte middle, byte last) {
        int hash = ((length * 31 + first) * 31 + middle) * 31 + last;
        return hash ^ (hash >>> 7);
    }

}
