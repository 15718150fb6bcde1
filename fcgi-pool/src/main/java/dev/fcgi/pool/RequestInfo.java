package dev.fcgi.pool;

import dev.fcgi.protocol.server.FcgiRequest;

/**
 * What FPM's scoreboard records of the request a worker runs (or ran last), for the status page. Unlike FPM's
 * scoreboard, nothing is truncated.
 *
 * @param method        {@code REQUEST_METHOD}, or {@code null}
 * @param uri           the request's path as FPM sees it: {@code SCRIPT_NAME}, else {@code DOCUMENT_URI}, else the
 *                      path of {@code REQUEST_URI}; or {@code null}
 * @param queryString   {@code QUERY_STRING}, empty when absent
 * @param contentLength {@code CONTENT_LENGTH}, 0 when absent
 * @param user          {@code PHP_AUTH_USER}, else {@code REMOTE_USER}, or {@code null}
 * @param script        {@code SCRIPT_FILENAME}, or {@code null}
 */
public record RequestInfo(String method, String uri, String queryString, long contentLength, String user,
                          String script) {

    /** Normalises {@code queryString} and {@code contentLength}. */
    public RequestInfo {
        queryString = queryString == null ? "" : queryString;
        contentLength = Math.max(0, contentLength);
    }

    /** Reads the request's CGI variables. */
    public static RequestInfo of(FcgiRequest request) {
        String user = emptyToNull(request.param("PHP_AUTH_USER"));
        if (user == null) {
            user = emptyToNull(request.param("REMOTE_USER"));
        }
        return new RequestInfo(emptyToNull(request.method()), path(request), request.queryString(),
                request.contentLength(), user, emptyToNull(request.scriptFilename()));
    }

    /**
     * The path a request is routed by, as FPM's {@code request_uri}: {@code SCRIPT_NAME}, falling back to
     * {@code DOCUMENT_URI} and then to the path part of {@code REQUEST_URI}; {@code null} when all are empty.
     */
    public static String path(FcgiRequest request) {
        String path = emptyToNull(request.scriptName());
        if (path == null) {
            path = emptyToNull(request.documentUri());
        }
        if (path == null) {
            String uri = emptyToNull(request.requestUri());
            if (uri != null) {
                int q = uri.indexOf('?');
                path = emptyToNull(q < 0 ? uri : uri.substring(0, q));
            }
        }
        return path;
    }

    /** The URI with its query, as the status page prints it ({@code /index.php?a=1}). */
    public String uriWithQuery() {
        String base = uri == null ? "" : uri;
        return queryString.isEmpty() ? base : base + '?' + queryString;
    }

    private static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }
}
