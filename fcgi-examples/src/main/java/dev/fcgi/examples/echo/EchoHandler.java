package dev.fcgi.examples.echo;

import dev.fcgi.protocol.FcgiParameters;
import dev.fcgi.protocol.server.FcgiHandler;
import dev.fcgi.protocol.server.FcgiRequest;
import dev.fcgi.protocol.server.FcgiResponse;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Answers every request with a JSON object that says exactly what arrived: {@code role}, {@code requestId},
 * {@code keepConn}, {@code params} (every pair as {@code [name, value]}, in order, duplicates kept), and
 * {@code stdin} and {@code data} as {@code {"length": n, "sha256": hex}}. Three params steer it, for tests:
 * {@code ECHO_SLEEP_MS=n} waits n ms before answering (cut short by an abort), {@code ECHO_STDERR=text} also
 * writes text to FCGI_STDERR, and {@code ECHO_BYTES=n} answers with n body bytes (byte i is i % 251) instead.
 */
public final class EchoHandler implements FcgiHandler {

    @Override
    public void handle(FcgiRequest request, FcgiResponse response) throws Exception {
        Digest stdin = Digest.of(request.body());
        Digest data = Digest.of(request.data());

        long sleepMs = parseLong(request.param("ECHO_SLEEP_MS"));
        if (sleepMs > 0) {
            CountDownLatch aborted = new CountDownLatch(1);
            request.onAbort(aborted::countDown);
            if (aborted.await(sleepMs, TimeUnit.MILLISECONDS)) {
                return;
            }
        }
        String stderr = request.param("ECHO_STDERR");
        if (stderr != null) {
            response.stderr().write(stderr.getBytes(StandardCharsets.UTF_8));
        }
        long bytes = parseLong(request.param("ECHO_BYTES"));
        if (request.params().contains("ECHO_BYTES")) {
            response.status(200).contentType("application/octet-stream");
            writePattern(response.body(), bytes);
            return;
        }
        response.status(200).contentType("application/json");
        response.body().write(json(request, stdin, data).getBytes(StandardCharsets.UTF_8));
    }

    /** Writes {@code count} bytes where byte i is {@code i % 251}. */
    static void writePattern(OutputStream out, long count) throws IOException {
        byte[] block = new byte[251 * 256];
        for (int i = 0; i < block.length; i++) {
            block[i] = (byte) (i % 251);
        }
        long left = count;
        while (left > 0) {
            int n = (int) Math.min(left, block.length);
            out.write(block, 0, n);
            left -= n;
        }
    }

    private static String json(FcgiRequest request, Digest stdin, Digest data) {
        StringBuilder json = new StringBuilder(1024);
        json.append("{\"role\":\"").append(request.role()).append("\",\"requestId\":").append(request.requestId())
                .append(",\"keepConn\":").append(request.keepConn()).append(",\"params\":[");
        FcgiParameters params = request.params();
        for (int i = 0; i < params.size(); i++) {
            json.append(i == 0 ? "[" : ",[");
            appendString(json, params.name(i));
            json.append(',');
            appendString(json, params.value(i));
            json.append(']');
        }
        json.append("],\"stdin\":");
        stdin.appendTo(json);
        json.append(",\"data\":");
        data.appendTo(json);
        return json.append("}\n").toString();
    }

    private static void appendString(StringBuilder json, String value) {
        json.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> json.append("\\\"");
                case '\\' -> json.append("\\\\");
                case '\n' -> json.append("\\n");
                case '\r' -> json.append("\\r");
                case '\t' -> json.append("\\t");
                default -> {
                    if (c < 0x20) {
                        json.append(String.format("\\u%04x", (int) c));
                    } else {
                        json.append(c);
                    }
                }
            }
        }
        json.append('"');
    }

    private static long parseLong(String value) {
        if (value == null || value.isBlank()) {
            return 0;
        }
        try {
            return Math.max(0, Long.parseLong(value.strip()));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private record Digest(long length, String sha256) {
        static Digest of(InputStream in) throws IOException {
            MessageDigest sha256;
            try {
                sha256 = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
            byte[] buffer = new byte[64 * 1024];
            long length = 0;
            int n;
            while ((n = in.read(buffer)) > 0) {
                sha256.update(buffer, 0, n);
                length += n;
            }
            return new Digest(length, HexFormat.of().formatHex(sha256.digest()));
        }

        void appendTo(StringBuilder json) {
            json.append("{\"length\":").append(length).append(",\"sha256\":\"").append(sha256).append("\"}");
        }
    }
}
