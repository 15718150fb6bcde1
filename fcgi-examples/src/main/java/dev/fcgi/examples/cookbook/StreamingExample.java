package dev.fcgi.examples.cookbook;

import dev.fcgi.protocol.server.FcgiHandler;
import dev.fcgi.protocol.server.FcgiRequest;
import dev.fcgi.protocol.server.FcgiResponse;

import java.io.OutputStream;

import static java.nio.charset.StandardCharsets.UTF_8;

/**
 * Streaming a large response: {@code ?lines=N} writes N numbered lines as they are made. A write waits while the
 * web server reads slower than the handler writes, so memory stays at the connection's water mark for any size.
 */
public final class StreamingExample implements FcgiHandler {

    @Override
    public void handle(FcgiRequest request, FcgiResponse response) throws Exception {
        String query = request.queryString();
        long lines = query.startsWith("lines=") ? Long.parseLong(query.substring(6)) : 1_000_000;
        response.status(200).contentType("text/plain; charset=utf-8");
        try (OutputStream out = response.body()) {
            for (long i = 1; i <= lines; i++) {
                out.write(String.format("%09d the quick brown fox jumps over the lazy dog%n", i).getBytes(UTF_8));
            }
        }
    }
}
