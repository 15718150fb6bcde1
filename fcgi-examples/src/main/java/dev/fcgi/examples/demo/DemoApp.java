package dev.fcgi.examples.demo;

import dev.fcgi.protocol.server.FcgiHandler;
import dev.fcgi.protocol.server.FcgiRequest;
import dev.fcgi.protocol.server.FcgiResponse;

import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.util.HexFormat;

import static java.nio.charset.StandardCharsets.UTF_8;

/**
 * The demo's Java application, one instance per pool worker: {@code GET /} greets and counts the worker's
 * requests, {@code POST} answers with the size and SHA-256 of the body, {@code /hello?name=x} greets x.
 */
public final class DemoApp implements FcgiHandler {

    private long served;

    @Override
    public void handle(FcgiRequest request, FcgiResponse response) throws Exception {
        served++;
        String text;
        if ("POST".equals(request.method()) || "PUT".equals(request.method())) {
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            long length = 0;
            try (InputStream body = request.body()) {
                byte[] buffer = new byte[16 * 1024];
                for (int n; (n = body.read(buffer)) >= 0; length += n) {
                    sha256.update(buffer, 0, n);
                }
            }
            text = "received " + length + " bytes, sha256 " + HexFormat.of().formatHex(sha256.digest()) + "\n";
        } else {
            String query = request.queryString();
            String name = query.startsWith("name=") ? query.substring(5) : "world";
            text = "Hello, " + name + "! This is " + Thread.currentThread().getName() + ", request " + served
                    + " of this worker, for " + request.requestUri() + " from " + request.remoteAddr() + ".\n";
        }
        response.status(200).contentType("text/plain; charset=utf-8");
        try (OutputStream out = response.body()) {
            out.write(text.getBytes(UTF_8));
        }
    }
}
