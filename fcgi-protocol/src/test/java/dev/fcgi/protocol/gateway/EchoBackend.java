package dev.fcgi.protocol.gateway;

import dev.fcgi.protocol.server.FcgiRequest;
import dev.fcgi.protocol.server.FcgiResponse;
import dev.fcgi.protocol.server.FcgiServer;
import dev.fcgi.protocol.server.RequestAbortedException;
import dev.fcgi.protocol.testing.BytePattern;
import dev.fcgi.protocol.testing.Sha256;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

/**
 * The FastCGI side of the gateway tests: an {@link FcgiServer} on a loopback port whose answer depends on
 * {@code SCRIPT_NAME}. By default it echoes what it received, one {@code NAME=value} line per CGI variable, then
 * {@code BODY_LENGTH} and {@code BODY_SHA256}; {@link #parse(String)} reads that back.
 */
final class EchoBackend implements AutoCloseable {

    /** Bytes {@code /big.php} has written so far. */
    final AtomicLong written = new AtomicLong();
    /** The thread running {@code /big.php}. */
    final AtomicReference<Thread> bigWriter = new AtomicReference<>();
    /** Counted down when a request the backend is working on is aborted. */
    final CountDownLatch aborted = new CountDownLatch(1);
    /** Released by a test to let {@code /slow.php} finish. */
    final CountDownLatch release = new CountDownLatch(1);
    /** Requests received. */
    final AtomicInteger requests = new AtomicInteger();
    /** Where {@code /spool-check.php} looks for spool files. */
    volatile Path spoolDirectory;
    /** What {@code /spool-check.php} found there while the request ran. */
    final AtomicReference<String> spoolListing = new AtomicReference<>();

    private final FcgiServer server;

    EchoBackend() throws IOException {
        server = FcgiServer.builder().listen("127.0.0.1:0").ioThreads(2).handler(this::handle).build().start();
    }

    SocketAddress address() {
        return server.localAddress();
    }

    private void handle(FcgiRequest request, FcgiResponse response) throws Exception {
        requests.incrementAndGet();
        switch (request.scriptName()) {
            case "/cookies.php" -> {
                response.addHeader("Set-Cookie", "a=1; Path=/");
                response.addHeader("Set-Cookie", "b=2; HttpOnly");
                response.header("Content-Length", "2");
                response.body().write("ok".getBytes(StandardCharsets.US_ASCII));
            }
            case "/big.php" -> big(request, response);
            case "/slow.php" -> {
                request.onAbort(aborted::countDown);
                release.await(30, TimeUnit.SECONDS);
            }
            case "/late-reader.php" -> {
                release.await(30, TimeUnit.SECONDS);        // reads nothing until the test says so
                echo(request, response);
            }
            case "/wait.php" -> {
                request.onAbort(aborted::countDown);
                aborted.await(30, TimeUnit.SECONDS);
            }
            case "/stream-until-abort.php" -> {
                request.onAbort(aborted::countDown);
                byte[] chunk = new byte[64 * 1024];
                OutputStream out = response.body();
                try {
                    for (int i = 0; i < 100_000 && !request.isAborted(); i++) {
                        out.write(chunk);
                        out.flush();
                    }
                } catch (RequestAbortedException e) {
                    aborted.countDown();                    // a writing handler learns of the abort this way
                    throw e;
                }
            }
            case "/short.php" -> {
                response.header("Content-Length", "100");
                response.body().write("only ten..".getBytes(StandardCharsets.US_ASCII));
            }
            case "/stderr.php" -> {
                response.stderr().write("PHP Warning:  something odd".getBytes(StandardCharsets.UTF_8));
                echo(request, response);
            }
            case "/status.php" -> {
                response.status(418, "I'm a teapot");
                response.header("Connection", "close");     // hop-by-hop: the gateway drops it
                response.header("X-Backend", "yes");
                response.body().write("short and stout".getBytes(StandardCharsets.US_ASCII));
            }
            case "/spool-check.php" -> {
                try (Stream<Path> files = Files.list(spoolDirectory)) {
                    spoolListing.set(files.map(Path::toString).toList().toString());
                }
                echo(request, response);
            }
            default -> echo(request, response);
        }
    }

    private static void echo(FcgiRequest request, FcgiResponse response) throws IOException {
        MessageDigest sha = Sha256.newDigest();
        long length = 0;
        byte[] buffer = new byte[64 * 1024];
        InputStream body = request.body();
        int n;
        while ((n = body.read(buffer)) >= 0) {
            sha.update(buffer, 0, n);
            length += n;
        }
        StringBuilder out = new StringBuilder();
        request.params().forEach((name, value) -> out.append(name).append('=').append(value).append('\n'));
        out.append("BODY_LENGTH=").append(length).append('\n');
        out.append("BODY_SHA256=").append(Sha256.hex(sha)).append('\n');
        response.contentType("text/plain; charset=utf-8");
        response.body().write(out.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** {@code ?size=N}: N bytes where byte i is i % 251 ({@link Sha256#ofPattern(long, int)}), 64 KiB at a time. */
    private void big(FcgiRequest request, FcgiResponse response) throws IOException {
        bigWriter.set(Thread.currentThread());
        request.onAbort(aborted::countDown);
        long size = Long.parseLong(request.queryString().substring("size=".length()));
        response.contentType("application/octet-stream");
        try {
            BytePattern.write(response.body(), size, written);
        } catch (RequestAbortedException e) {
            aborted.countDown();
            throw e;
        }
    }

    /** The echo's lines as a map. */
    static Map<String, String> parse(String echo) {
        Map<String, String> vars = new LinkedHashMap<>();
        for (String line : echo.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                vars.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return vars;
    }

    @Override
    public void close() {
        release.countDown();
        server.close();
    }
}
