package dev.fcgi.protocol.server;

import dev.fcgi.protocol.FcgiParameters;
import dev.fcgi.protocol.FcgiRole;

import java.io.InputStream;
import java.net.SocketAddress;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A FastCGI request as the handler sees it: the role, the CGI variables (PARAMS), the body (STDIN) and, for the
 * FILTER role, the data stream (DATA). Typed getters read the usual CGI/1.1 variables; {@link #header(String)}
 * reads the HTTP headers the web server passed as {@code HTTP_*} variables.
 *
 * <p>The body streams: the handler runs as soon as the PARAMS stream has ended and reads the body while it
 * arrives. Bodies larger than the server's spool threshold are kept in a temporary file rather than in memory.
 */
public interface FcgiRequest {

    /** The request id on its connection (1 to 65535). */
    int requestId();

    /** The role the web server asked for. */
    FcgiRole role();

    /** Whether the web server keeps the connection open after this request. */
    boolean keepConn();

    /** The CGI variables, in the order received, duplicates kept. */
    FcgiParameters params();

    /** The address of the web server's end of the connection. */
    SocketAddress peerAddress();

    /**
     * The request body. When the web server passed the body as a file ({@code REQUEST_BODY_FILE}, as nginx does
     * with {@code fastcgi_pass_request_body off}), the stream reads that file. Reads block until data arrives and
     * fail with an {@link java.io.IOException} when the request is aborted, its connection is lost, or no data
     * came within the server's body read timeout.
     */
    InputStream body();

    /** The FILTER role's data stream (empty for the other roles), with the same behaviour as {@link #body()}. */
    InputStream data();

    /** Whether the web server aborted the request or its connection was lost. */
    boolean isAborted();

    /**
     * Registers an action to run (on a Netty thread: keep it short) when the request is aborted; it runs at once
     * when the request is aborted already.
     */
    void onAbort(Runnable action);

    /** The last value of the CGI variable {@code name}, decoded as UTF-8, or {@code null}. */
    default String param(String name) {
        return params().get(name);
    }

    /** {@code REQUEST_METHOD}, for example {@code GET}. */
    default String method() {
        return param("REQUEST_METHOD");
    }

    /** {@code REQUEST_URI}: the path and query as the client sent them. */
    default String requestUri() {
        return param("REQUEST_URI");
    }

    /** {@code DOCUMENT_URI}: the normalized path (nginx). */
    default String documentUri() {
        return param("DOCUMENT_URI");
    }

    /** {@code SCRIPT_NAME}. */
    default String scriptName() {
        return param("SCRIPT_NAME");
    }

    /** {@code SCRIPT_FILENAME}: the file the web server maps the request to. */
    default String scriptFilename() {
        return param("SCRIPT_FILENAME");
    }

    /** {@code PATH_INFO}. */
    default String pathInfo() {
        return param("PATH_INFO");
    }

    /** {@code DOCUMENT_ROOT}. */
    default String documentRoot() {
        return param("DOCUMENT_ROOT");
    }

    /** {@code QUERY_STRING}, or an empty string. */
    default String queryString() {
        return params().get("QUERY_STRING", "");
    }

    /** {@code CONTENT_TYPE}, or {@code null} when absent or empty. */
    default String contentType() {
        String type = param("CONTENT_TYPE");
        return type == null || type.isEmpty() ? null : type;
    }

    /** {@code CONTENT_LENGTH}, or -1 when absent, empty or not a number. */
    default long contentLength() {
        return parseLong(param("CONTENT_LENGTH"), -1);
    }

    /** {@code SERVER_PROTOCOL}, for example {@code HTTP/1.1}. */
    default String serverProtocol() {
        return param("SERVER_PROTOCOL");
    }

    /** {@code SERVER_NAME}. */
    default String serverName() {
        return param("SERVER_NAME");
    }

    /** {@code SERVER_PORT}, or -1. */
    default int serverPort() {
        return (int) parseLong(param("SERVER_PORT"), -1);
    }

    /** {@code REMOTE_ADDR}: the HTTP client's address as the web server saw it. */
    default String remoteAddr() {
        return param("REMOTE_ADDR");
    }

    /** {@code REMOTE_PORT}, or -1. */
    default int remotePort() {
        return (int) parseLong(param("REMOTE_PORT"), -1);
    }

    /** Whether the HTTP request came over TLS ({@code HTTPS} set and not {@code off}, as PHP reads it). */
    default boolean isHttps() {
        String https = param("HTTPS");
        return https != null && !https.isEmpty() && !https.equalsIgnoreCase("off");
    }

    /**
     * The HTTP request header {@code name} (any case, for example {@code User-Agent}), read from the
     * {@code HTTP_USER_AGENT} variable; {@code Content-Type} and {@code Content-Length} come from their CGI
     * variables.
     */
    default String header(String name) {
        String upper = name.toUpperCase(Locale.ROOT).replace('-', '_');
        if (upper.equals("CONTENT_TYPE") || upper.equals("CONTENT_LENGTH")) {
            String value = param(upper);
            return value == null || value.isEmpty() ? null : value;
        }
        return param("HTTP_" + upper);
    }

    /** The HTTP request headers, with names rebuilt from {@code HTTP_*} variables ({@code User-Agent}). */
    default Map<String, String> headers() {
        Map<String, String> headers = new LinkedHashMap<>();
        FcgiParameters params = params();
        for (int i = 0; i < params.size(); i++) {
            String name = params.name(i);
            if (name.startsWith("HTTP_") && name.length() > 5) {
                headers.put(headerName(name.substring(5)), params.value(i));
            } else if ((name.equals("CONTENT_TYPE") || name.equals("CONTENT_LENGTH")) && params.valueBytes(i).length > 0) {
                headers.put(headerName(name), params.value(i));
            }
        }
        return headers;
    }

    private static String headerName(String cgiName) {
        StringBuilder buf = new StringBuilder(cgiName.length());
        boolean upper = true;
        for (int i = 0; i < cgiName.length(); i++) {
            char c = cgiName.charAt(i);
            if (c == '_') {
                buf.append('-');
                upper = true;
            } else {
                buf.append(upper ? c : Character.toLowerCase(c));
                upper = false;
            }
        }
        return buf.toString();
    }

    private static long parseLong(String value, long defaultValue) {
        if (value == null || value.isEmpty()) {
            return defaultValue;
        }
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            return defaultValue;
        }
    }
}
