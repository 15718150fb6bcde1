package dev.fcgi.benchmarks.load;

import dev.fcgi.protocol.client.FcgiClientRequest;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Builds requests with the CGI variables nginx sends with Debian's stock {@code fastcgi_params} and
 * {@code snippets/fastcgi-php.conf} ({@code fastcgi_index index.php}), as for a request from curl: so that php-fpm
 * and other FastCGI applications answer them as they would behind nginx.
 *
 * <p>{@code SCRIPT_NAME} is the URI's path, with {@code index.php} appended when it ends with {@code /};
 * {@code SCRIPT_FILENAME} is the document root followed by it, unless given. Headers ({@code -H}) become
 * {@code HTTP_*} variables ({@code Content-Type} also sets {@code CONTENT_TYPE}, as in nginx), and extra
 * variables ({@code -p}) are applied last, replacing any of the same name.
 */
final class CgiRequestTemplate {

    /** nginx's default document root on Debian. */
    static final String DEFAULT_DOCUMENT_ROOT = "/var/www/html";
    static final String USER_AGENT = "fcgi-load/1.0";

    private final String documentRoot;
    private final String scriptFilename;
    private final Map<String, String> headers = new LinkedHashMap<>();
    private final Map<String, String> extraParams;

    /**
     * @param documentRoot   {@code DOCUMENT_ROOT}
     * @param scriptFilename {@code SCRIPT_FILENAME} for every request, or null to derive it from each URI
     * @param headers        HTTP headers as {@code Name: value} pairs, in order; later ones replace earlier ones
     * @param extraParams    CGI variables to add or replace, in order
     */
    CgiRequestTemplate(String documentRoot, String scriptFilename, List<Map.Entry<String, String>> headers,
                       Map<String, String> extraParams) {
        this.documentRoot = stripTrailingSlash(documentRoot);
        this.scriptFilename = scriptFilename;
        this.headers.put("HTTP_HOST", "localhost");
        this.headers.put("HTTP_USER_AGENT", USER_AGENT);
        this.headers.put("HTTP_ACCEPT", "*/*");
        for (Map.Entry<String, String> header : headers) {
            this.headers.put(cgiName(header.getKey()), header.getValue());
        }
        this.extraParams = new LinkedHashMap<>(extraParams);
    }

    /** The CGI variable for an HTTP header: {@code User-Agent} is {@code HTTP_USER_AGENT}. */
    static String cgiName(String header) {
        return "HTTP_" + header.toUpperCase(Locale.ROOT).replace('-', '_');
    }

    /** The CGI variables of a request for {@code method} and {@code uri}, in the order nginx sends them. */
    Map<String, String> params(String method, String uri, int bodyLength) {
        int q = uri.indexOf('?');
        String path = q < 0 ? uri : uri.substring(0, q);
        String query = q < 0 ? "" : uri.substring(q + 1);
        String scriptName = path.endsWith("/") ? path + "index.php" : path;
        String contentType = headers.getOrDefault("HTTP_CONTENT_TYPE",
                bodyLength > 0 ? "application/octet-stream" : "");
        Map<String, String> p = new LinkedHashMap<>();
        p.put("SCRIPT_FILENAME", scriptFilename != null ? scriptFilename : documentRoot + scriptName);
        p.put("QUERY_STRING", query);
        p.put("REQUEST_METHOD", method);
        p.put("CONTENT_TYPE", contentType);
        p.put("CONTENT_LENGTH", bodyLength > 0 ? Integer.toString(bodyLength) : "");
        p.put("SCRIPT_NAME", scriptName);
        p.put("REQUEST_URI", uri);
        p.put("DOCUMENT_URI", path);
        p.put("DOCUMENT_ROOT", documentRoot.isEmpty() ? "/" : documentRoot);
        p.put("SERVER_PROTOCOL", "HTTP/1.1");
        p.put("REQUEST_SCHEME", "http");
        p.put("GATEWAY_INTERFACE", "CGI/1.1");
        p.put("SERVER_SOFTWARE", "nginx/1.22.1");
        p.put("REMOTE_ADDR", "127.0.0.1");
        p.put("REMOTE_PORT", "40000");
        p.put("SERVER_ADDR", "127.0.0.1");
        p.put("SERVER_PORT", "80");
        p.put("SERVER_NAME", "localhost");
        p.put("REDIRECT_STATUS", "200");
        p.put("PATH_INFO", "");
        p.putAll(headers);
        p.putAll(extraParams);
        return p;
    }

    /** A request for {@code kind}: immutable, sent as many times as needed. */
    FcgiClientRequest build(RequestMix.Kind kind) {
        FcgiClientRequest.Builder builder = FcgiClientRequest.builder();
        params(kind.method(), kind.uri(), kind.body().length).forEach(builder::param);
        if (kind.body().length > 0) {
            builder.body(kind.body());
        }
        return builder.build();
    }

    private static String stripTrailingSlash(String path) {
        String p = path;
        while (p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        return p;
    }
}
