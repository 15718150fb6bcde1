package dev.fcgi.protocol.gateway;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * The settings of an {@link HttpGateway}, checked by its builder. Immutable.
 *
 * @param documentRoot       the absolute, normalised document root
 * @param scripts            maps paths to scripts (file or front controller mode)
 * @param extraParams        variables sent with every request, replacing standard ones of the same name
 * @param serverName         {@code SERVER_NAME}, or null for the {@code Host} header without its port
 * @param https              whether requests arrive over TLS (a terminating proxy in front)
 * @param requestTimeout     from forwarding a request until the backend's END_REQUEST; also the longest wait for
 *                           the next bytes of a request body
 * @param maxRequestBodySize the largest request body accepted, in bytes
 * @param bodySpoolThreshold chunked bodies up to this many bytes are spooled in memory, larger ones in a file
 * @param spoolDirectory     where the spool files of chunked bodies are created (and at once unlinked)
 * @param keepAliveTimeout   how long a connection may wait for its next request
 * @param writeTimeout       how long a response write may wait for the HTTP client to take data
 */
record GatewayConfig(Path documentRoot, ScriptMapper scripts, Map<String, String> extraParams, String serverName,
                     boolean https, Duration requestTimeout, long maxRequestBodySize, int bodySpoolThreshold,
                     Path spoolDirectory, Duration keepAliveTimeout, Duration writeTimeout) {

    /** The request body bytes held unread in memory per request before the gateway stops reading the client. */
    static final int BODY_HIGH_WATER = 256 * 1024;
    /** The longest request line accepted (longer: 414), as nginx's {@code large_client_header_buffers}. */
    static final int MAX_REQUEST_LINE = 8 * 1024;
    /** The most bytes of request headers accepted (more: 431). */
    static final int MAX_HEADER_SIZE = 32 * 1024;
    /** {@code SERVER_SOFTWARE}. */
    static final String SERVER_SOFTWARE = "fcgi-http-gateway";

    /** The document root as a byte string (UTF-8 bytes, one char each), to join with request paths. */
    String documentRootBytes() {
        return new String(documentRoot.toString().getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
    }
}
