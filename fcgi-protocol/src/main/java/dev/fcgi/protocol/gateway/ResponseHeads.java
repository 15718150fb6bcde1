package dev.fcgi.protocol.gateway;

import dev.fcgi.protocol.client.FcgiClientResponse;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The status lines and headers the gateway sends: the backend's CGI head turned into an HTTP response (its
 * {@code Status} as the status line, its headers passed on with repeats such as {@code Set-Cookie} kept, but
 * without the hop-by-hop headers the gateway sets itself), and the short text answers of the gateway's own errors.
 */
final class ResponseHeads {

    /** Headers that describe one connection, not the response: the gateway sets its own. */
    private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-connection",
            "transfer-encoding", "te", "trailer", "upgrade");

    private ResponseHeads() {
    }

    /** The backend's answer could not be turned into an HTTP response (the answer is then 502). */
    static final class BadBackendResponseException extends IOException {
        BadBackendResponseException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * The HTTP head of a backend response; a {@code Content-Length} it gives is kept and checked.
     *
     * @throws BadBackendResponseException for a status outside 200 to 999 (a 1xx is no final answer, and a CGI
     *                                     program cannot switch protocols), a header Netty refuses, or a
     *                                     {@code Content-Length} that is not a single non-negative number that fits
     *                                     a long
     */
    static HttpResponse fromBackend(FcgiClientResponse response) throws BadBackendResponseException {
        int code = response.status();
        if (code < 200 || code > 999) {
            throw new BadBackendResponseException("status " + code + " (expected: 200 to 999)", null);
        }
        try {
            HttpResponseStatus status = new HttpResponseStatus(code, reason(code, response.reason()));
            HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, status);
            HttpHeaders headers = head.headers();
            for (Map.Entry<String, String> header : response.headers()) {
                if (!HOP_BY_HOP.contains(header.getKey().toLowerCase(Locale.ROOT))) {
                    headers.add(header.getKey(), header.getValue());
                }
            }
            if (headers.getAll(HttpHeaderNames.CONTENT_LENGTH).size() > 1) {
                throw new BadBackendResponseException("more than one Content-Length", null);
            }
            String length = headers.get(HttpHeaderNames.CONTENT_LENGTH);
            if (length != null && (!isDigits(length.strip()) || length.strip().length() > 18)) {
                throw new BadBackendResponseException("Content-Length '" + length + "' is not a number", null);
            }
            return head;
        } catch (IllegalArgumentException e) {
            throw new BadBackendResponseException("invalid header or status: " + e.getMessage(), e);
        }
    }

    /** The backend's Content-Length, or -1. */
    static long contentLength(HttpResponse head) {
        String length = head.headers().get(HttpHeaderNames.CONTENT_LENGTH);
        try {
            return length == null ? -1 : Long.parseLong(length.strip());
        } catch (NumberFormatException e) {
            return -1;                      // more digits than a long: fromBackend let it through
        }
    }

    /** Whether a response with this status never has a body (1xx, 204, 304). */
    static boolean isBodyless(HttpResponseStatus status) {
        int code = status.code();
        return code < 200 || code == 204 || code == 304;
    }

    /** A short text answer of the gateway's own: {@code "502 Bad Gateway"}. */
    static FullHttpResponse error(HttpResponseStatus status, HttpVersion requestVersion, boolean keepAlive) {
        byte[] text = (status.code() + " " + status.reasonPhrase() + "\n").getBytes(StandardCharsets.US_ASCII);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.wrappedBuffer(text));
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, text.length);
        connection(response.headers(), requestVersion, keepAlive);
        return response;
    }

    /** Sets {@code Connection} for the client's HTTP version: close, or keep-alive for an HTTP/1.0 client. */
    static void connection(HttpHeaders headers, HttpVersion requestVersion, boolean keepAlive) {
        if (!keepAlive) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (!requestVersion.isKeepAliveDefault()) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        } else {
            headers.remove(HttpHeaderNames.CONNECTION);
        }
    }

    private static String reason(int code, String reason) {
        if (reason != null && !reason.isEmpty()) {
            return reason;
        }
        String standard = HttpResponseStatus.valueOf(code).reasonPhrase();
        return standard.isEmpty() ? "Unknown" : standard;
    }

    private static boolean isDigits(String value) {
        if (value.isEmpty()) {
            return false;
        }
        for (int i = 0; i < value.length(); i++) {
            if (value.charAt(i) < '0' || value.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }
}
