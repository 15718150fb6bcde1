package dev.fcgi.protocol.gateway;

import dev.fcgi.protocol.FcgiParameters;
import dev.fcgi.protocol.FcgiTransport;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.NetUtil;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Builds the CGI variables of a request as nginx's {@code fastcgi_params} (plus {@code SCRIPT_FILENAME},
 * {@code PATH_INFO} and {@code PATH_TRANSLATED}) sets them, in the same order:
 *
 * <ul>
 *   <li>{@code QUERY_STRING}, {@code REQUEST_METHOD}, {@code CONTENT_TYPE}, {@code CONTENT_LENGTH} (both empty
 *       when absent, as nginx sends them), {@code SCRIPT_NAME}, {@code SCRIPT_FILENAME}, {@code PATH_INFO},
 *       {@code PATH_TRANSLATED} (only with a path info), {@code REQUEST_URI}, {@code DOCUMENT_URI},
 *       {@code DOCUMENT_ROOT}, {@code SERVER_PROTOCOL}, {@code REQUEST_SCHEME}, {@code HTTPS} (only over TLS),
 *       {@code GATEWAY_INTERFACE}, {@code SERVER_SOFTWARE}, {@code REMOTE_ADDR}, {@code REMOTE_PORT},
 *       {@code SERVER_ADDR}, {@code SERVER_PORT}, {@code SERVER_NAME}, {@code REDIRECT_STATUS=200};</li>
 *   <li>then the configured extra variables, replacing any of the above with the same name;</li>
 *   <li>then every request header as {@code HTTP_*}: upper case, dashes to underscores, repeated headers joined
 *       with {@code ", "} ({@code Cookie} with {@code "; "}). As nginx does by default, a header whose name has an
 *       underscore or any character but letters, digits and dashes is dropped, so that no header can pose as
 *       another {@code HTTP_} name. {@code Content-Type} and {@code Content-Length} are only sent as
 *       {@code CONTENT_*}; {@code Transfer-Encoding} is dropped (the backend always gets a body of known length);
 *       {@code Proxy} is dropped (httpoxy, CVE-2016-5385). An extra variable named {@code HTTP_*} wins over the
 *       header.</li>
 * </ul>
 *
 * Values taken from the request go on as the bytes the client sent; configured values are sent as UTF-8.
 */
final class CgiParams {

    private CgiParams() {
    }

    /**
     * The variables for one request.
     *
     * @param contentLength the body length, or -1 for a request without a body
     */
    static FcgiParameters build(GatewayConfig config, HttpRequest request, RequestPath path,
                                ScriptMapper.Target target, SocketAddress local, SocketAddress remote,
                                long contentLength) {
        String root = config.documentRootBytes();
        Map<String, byte[]> vars = new LinkedHashMap<>(64);
        put(vars, "QUERY_STRING", path.query());
        put(vars, "REQUEST_METHOD", request.method().name());
        put(vars, "CONTENT_TYPE", orEmpty(request.headers().get(HttpHeaderNames.CONTENT_TYPE)));
        put(vars, "CONTENT_LENGTH", contentLength < 0 ? "" : Long.toString(contentLength));
        put(vars, "SCRIPT_NAME", target.scriptName());
        put(vars, "SCRIPT_FILENAME", root + target.scriptName());
        put(vars, "PATH_INFO", target.pathInfo());
        if (!target.pathInfo().isEmpty()) {
            put(vars, "PATH_TRANSLATED", root + target.pathInfo());
        }
        put(vars, "REQUEST_URI", path.requestUri());
        put(vars, "DOCUMENT_URI", path.path());
        put(vars, "DOCUMENT_ROOT", root);
        put(vars, "SERVER_PROTOCOL", request.protocolVersion().text());
        put(vars, "REQUEST_SCHEME", config.https() ? "https" : "http");
        if (config.https()) {
            put(vars, "HTTPS", "on");
        }
        put(vars, "GATEWAY_INTERFACE", "CGI/1.1");
        put(vars, "SERVER_SOFTWARE", GatewayConfig.SERVER_SOFTWARE);
        put(vars, "REMOTE_ADDR", host(remote));
        put(vars, "REMOTE_PORT", port(remote));
        put(vars, "SERVER_ADDR", host(local));
        put(vars, "SERVER_PORT", port(local));
        put(vars, "SERVER_NAME", serverName(config, request, local));
        put(vars, "REDIRECT_STATUS", "200");
        config.extraParams().forEach((name, value) -> vars.put(name, value.getBytes(StandardCharsets.UTF_8)));
        headers(request).forEach((name, value) -> vars.putIfAbsent(name, bytes(value.toString())));

        FcgiParameters params = new FcgiParameters(vars.size());
        vars.forEach(params::add);
        return params;
    }

    /** The request headers as {@code HTTP_*} variables, in order of first appearance. */
    static Map<String, StringBuilder> headers(HttpRequest request) {
        Map<String, StringBuilder> vars = new LinkedHashMap<>();
        Iterator<Map.Entry<String, String>> it = request.headers().iteratorAsString();
        while (it.hasNext()) {
            Map.Entry<String, String> header = it.next();
            String name = header.getKey();
            if (!isPassed(name)) {
                continue;
            }
            String var = "HTTP_" + name.toUpperCase(Locale.ROOT).replace('-', '_');
            StringBuilder value = vars.get(var);
            if (value == null) {
                vars.put(var, new StringBuilder(header.getValue()));
            } else {
                value.append(var.equals("HTTP_COOKIE") ? "; " : ", ").append(header.getValue());
            }
        }
        return vars;
    }

    private static boolean isPassed(String name) {
        if (name.isEmpty()) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean valid = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-';
            if (!valid) {
                return false;           // '_' included: Foo_Bar would pose as Foo-Bar
            }
        }
        return !(name.equalsIgnoreCase("Content-Type") || name.equalsIgnoreCase("Content-Length")
                || name.equalsIgnoreCase("Transfer-Encoding") || name.equalsIgnoreCase("Proxy"));
    }

    /**
     * {@code SERVER_NAME}: the configured name, else the local address, as nginx sends its own {@code server_name}
     * and never the client's Host (applications trust {@code SERVER_NAME}, e.g. for links in mails; the Host header
     * is in {@code HTTP_HOST}).
     */
    private static String serverName(GatewayConfig config, HttpRequest request, SocketAddress local) {
        if (config.serverName() != null) {
            return new String(config.serverName().getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
        }
        return host(local);
    }

    private static String host(SocketAddress address) {
        if (address instanceof InetSocketAddress inet) {
            return inet.getAddress() == null ? inet.getHostString() : NetUtil.toAddressString(inet.getAddress());
        }
        return FcgiTransport.unixPath(address) != null ? "unix:" : "";
    }

    private static String port(SocketAddress address) {
        return address instanceof InetSocketAddress inet ? Integer.toString(inet.getPort()) : "";
    }

    private static void put(Map<String, byte[]> vars, String name, String byteString) {
        vars.put(name, bytes(byteString));
    }

    private static byte[] bytes(String byteString) {
        return byteString.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static String orEmpty(String value) {
        return value == null ? "" : value;
    }
}
