package dev.fcgi.benchmarks.soak;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;

/**
 * Calls through nginx: HTTP/1.1 with keep-alive (the JDK's {@link HttpClient}, one connection per call in
 * flight), and the aborts on a socket of their own, which is closed while the handler waits or after the first
 * 64 KiB of the response (nginx then closes its FastCGI connection, which aborts the request).
 */
final class NginxRoute implements AutoCloseable {

    private final URI base;
    private final HttpClient http;
    private final Duration timeout;

    NginxRoute(URI base, Duration timeout) {
        this.base = base;
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(timeout).build();
    }

    /**
     * Runs a call of {@code kind}; an exception is the call's failure. A call that aborts while the handler waits
     * goes away after {@code abortAfterMillis}.
     */
    Outcome run(SoakCall call, SoakKind kind, int abortAfterMillis) throws IOException, InterruptedException {
        if (kind.abort() != SoakKind.Abort.NONE) {
            return abort(call, kind.abort(), abortAfterMillis);
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(call.uri())).timeout(timeout)
                .header(SoakCall.ID_HEADER, Long.toString(call.id()));
        if (call.requestBytes() > 0) {
            long seed = SoakPayload.requestSeed(call.id());
            request.header("Content-Type", "application/octet-stream").POST(HttpRequest.BodyPublishers.fromPublisher(
                    HttpRequest.BodyPublishers.ofInputStream(() -> new SoakPayload(seed, call.requestBytes())),
                    call.requestBytes()));
        }
        HttpResponse<InputStream> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (HttpTimeoutException e) {
            throw e;
        } catch (IOException e) {
            // no status line at all: nginx closed the connection, as it does when it answers 502 while an upload
            // still comes in (the client may not read that answer); nginx's error log says why
            return Outcome.refusal("no HTTP response", "id " + call.id() + ": " + e);
        }
        try (InputStream body = response.body()) {
            return AnswerCheck.check(call, response.statusCode(),
                    name -> response.headers().firstValue(name).orElse(null), body);
        }
    }

    /** GET {@code pathAndQuery}: the body as text, or an IOException unless the status is 200. */
    String get(String pathAndQuery) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(base.resolve(pathAndQuery)).timeout(timeout)
                .build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException("GET " + pathAndQuery + ": HTTP " + response.statusCode() + ": " + response.body());
        }
        return response.body();
    }

    private Outcome abort(SoakCall call, SoakKind.Abort abort, int abortAfterMillis)
            throws IOException, InterruptedException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(base.getHost(), base.getPort()), (int) timeout.toMillis());
            socket.setSoTimeout((int) timeout.toMillis());
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + call.uri() + " HTTP/1.1\r\nHost: " + base.getHost() + "\r\n" + SoakCall.ID_HEADER
                    + ": " + call.id() + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            if (abort == SoakKind.Abort.WHILE_WAITING) {
                Thread.sleep(abortAfterMillis);         // the handler waits longer: the abort comes first
                if (socket.getInputStream().available() == 0) {
                    return Outcome.ABORTED;
                }
                return unexpected(call, head(socket.getInputStream().readNBytes(
                        socket.getInputStream().available())), "answered before the abort");
            }
            String head = head(socket.getInputStream().readNBytes(SoakKind.Abort.READ_BEFORE_ABORT));
            if (!head.startsWith("HTTP/1.1 200 ")) {
                return unexpected(call, head, "aborted call answered");
            }
            String expected = SoakCall.ID_HEADER.toLowerCase(Locale.ROOT) + ": " + call.id();
            if (head.toLowerCase(Locale.ROOT).lines().noneMatch(expected::equals)) {
                return Outcome.failed("crossed answer: another request's id", "id " + call.id() + ": " + head);
            }
            return Outcome.ABORTED;     // closed with 16 MiB unread: nginx sees a reset
        }
    }

    /** An answer an aborted call should not have had: nginx's refusal (502, 503, no soak header), or a failure. */
    private static Outcome unexpected(SoakCall call, String head, String reason) {
        String status = head.lines().findFirst().orElse("no status line");
        boolean refusal = (status.startsWith("HTTP/1.1 502 ") || status.startsWith("HTTP/1.1 503 "))
                && !head.toLowerCase(Locale.ROOT).contains(SoakCall.ID_HEADER.toLowerCase(Locale.ROOT) + ":");
        String detail = "id " + call.id() + ": " + head.replace("\r\n", "; ");
        return refusal ? Outcome.refusal("HTTP " + status.substring("HTTP/1.1 ".length(), "HTTP/1.1 ".length() + 3),
                detail)
                : Outcome.failed(reason + " " + status, detail);
    }

    /** The status line and headers at the start of {@code bytes}. */
    private static String head(byte[] bytes) {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        for (int i = 0; i < bytes.length; i++) {
            if (i >= 3 && bytes[i - 3] == '\r' && bytes[i - 2] == '\n' && bytes[i - 1] == '\r' && bytes[i] == '\n') {
                break;
            }
            head.write(bytes[i]);
        }
        return head.toString(StandardCharsets.ISO_8859_1).strip();
    }

    @Override
    public void close() {
        http.shutdownNow();
    }
}
