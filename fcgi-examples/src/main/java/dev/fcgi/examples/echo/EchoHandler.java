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
 * A value that is not a whole number in range ({@value #MAX_SLEEP_MS} ms, {@value #MAX_BYTES} bytes at most) is
 * answered {@code Status: 400} with {@code {"error": "..."}} naming it.
 */
public final class EchoHandler implements FcgiHandler {

    /** The longest {@code ECHO_SLEEP_MS}: ten minutes. */
    public static final long MAX_SLEEP_MS = 600_000;
    /** The largest {@code ECHO_BYTES}: 1 TiB. */
    public static final long MAX_BYTES = 1L << 40;

    @Override
    public void handle(FcgiRequest request, FcgiResponse response) throws Exception {
        Digest stdin = Digest.of(request.body());
        Digest data = Digest.of(request.data());

        long sleepMs;
        long bytes;
        try {
            sleepMs = parse(request, "ECHO_SLEEP_MS", MAX_SLEEP_MS);
            bytes = parse(request, "ECHO_BYTES", MAX_BYTES);
        } catch (IllegalArgumentException e) {
            StringBuilder error = new StringBuilder("{\"error\":");
            appendString(error, e.getMessage());
            response.status(400).contentType("application/json");
            response.body().write(error.append("}\n").toString().getBytes(StandardCharsets.UTF_8));
            return;
        }
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
        if (bytes >= 0) {
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

    /**
     * The value of param {@code name}: -1 when absent, else a decimal whole number from 0 to {@code max}.
     *
     * @throws IllegalArgumentException naming the param, its value and the range, for anything else
     */
    static long parse(FcgiRequest request, String name, long max) {
        String value = request.param(name);
        if (value == null) {
            return -1;
        }
        boolean digits = !value.isEmpty() && value.length() <= 18 && value.chars().allMatch(c -> c >= '0' && c <= '9');
        long parsed = digits ? Long.parseLong(value) : -1;        // 18 digits always fit; both limits have fewer
        if (parsed < 0 || parsed > max) {
            throw new IllegalArgumentException(name + ": '" + value + "' (expected: a whole number from 0 to " + max
                    + ")");
        }
        return parsed;
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
