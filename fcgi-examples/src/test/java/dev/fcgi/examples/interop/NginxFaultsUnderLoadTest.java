package dev.fcgi.examples.interop;

import dev.fcgi.examples.echo.EchoHandler;
import dev.fcgi.pool.FcgiPool;
import dev.fcgi.pool.PoolListener;
import dev.fcgi.pool.PoolStatus;
import dev.fcgi.pool.StaticStrategy;
import dev.fcgi.protocol.server.FcgiHandler;
import dev.fcgi.protocol.server.FcgiRequest;
import dev.fcgi.protocol.server.FcgiResponse;
import dev.fcgi.protocol.server.FcgiServer;
import dev.fcgi.protocol.testing.Await;
import dev.fcgi.protocol.testing.BytePattern;
import dev.fcgi.protocol.testing.ClientLoad;
import dev.fcgi.protocol.testing.LiveMemory;
import dev.fcgi.protocol.testing.NginxProcess;
import dev.fcgi.protocol.testing.Sha256;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Faults on the web server's side, with nginx in front of a pool of four in-JVM workers running the echo handler,
 * while four HTTP clients send GETs and POSTs through the same nginx and check every answer ({@link ClientLoad}):
 * HTTP clients that go away while their handler waits (mid-request), while it reads a body nginx streams to it
 * ({@code fastcgi_request_buffering off}: mid-upload) and while it writes a 200 MB answer (mid-response); and a
 * client that reads a large answer slowly through {@code fastcgi_buffering off}. nginx closes the FastCGI
 * connection of an abandoned request; the handler sees the abort, its worker goes back to idle, nothing is left
 * (no request in progress, no spool file, no leaked buffer), and the pool's counters add up.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class NginxFaultsUnderLoadTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final int CLIENTS = 4;
    private static final int WORKERS = 4;
    private static final int STEP = 30;         // answers of the load between two faults
    private static final int ROUNDS = 3;

    @TempDir
    Path dir;
    private final RecordingHandler handler = new RecordingHandler();
    private final AtomicInteger completed = new AtomicInteger();
    private FcgiPool pool;
    private FcgiServer server;
    private NginxProcess nginx;
    private HttpClient http;

    @AfterEach
    void close() {
        if (http != null) {
            http.close();
        }
        if (nginx != null) {
            nginx.close();
        }
        if (server != null) {
            server.close();
        }
        if (pool != null) {
            pool.shutdownNow();
        }
    }

    private void start(String... locations) throws Exception {
        pool = FcgiPool.builder("www").strategy(StaticStrategy.of(WORKERS)).handler(handler)
                .listener(new PoolListener() {
                    @Override
                    public void requestCompleted(String pool, long workerId, long queueWaitNanos, long durationNanos,
                                                 int status) {
                        completed.incrementAndGet();
                    }
                }).build().start();
        Files.createDirectories(dir.resolve("spool"));
        server = FcgiServer.builder().listen("unix:" + dir.resolve("www.sock")).handler(pool.handler())
                .dispatcher(pool).spoolDirectory(dir.resolve("spool")).build().start();
        NginxProcess.Builder builder = EchoNginx.withEchoParams(NginxProcess.builder(dir.resolve("nginx"))
                .upstream(server.localAddress()).keepConn(true));
        for (String location : locations) {
            builder.locationDirective(location);
        }
        nginx = builder.start();
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10))
                .build();
    }

    /** GETs and, every other call, POSTs of up to 64 KiB, each answered with what the echo handler saw. */
    private ClientLoad load() {
        return new ClientLoad(CLIENTS, 2_000, Duration.ofSeconds(100), id -> {
            boolean post = id.charAt(id.length() - 1) % 2 == 1;
            byte[] body = new byte[post ? 1 + Math.floorMod(id.hashCode(), 64 * 1024) : 0];
            new Random(id.hashCode()).nextBytes(body);
            HttpRequest.Builder request = HttpRequest.newBuilder(nginx.uri("/ok/" + id))
                    .timeout(ClientLoad.CALL_TIMEOUT);
            HttpResponse<String> response = http.send(post ? request.POST(HttpRequest.BodyPublishers.ofByteArray(body))
                    .build() : request.build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                return response.statusCode() + " " + response.body();
            }
            EchoReply reply = EchoReply.parse(response.body());
            boolean right = reply.param("REQUEST_URI").equals("/ok/" + id) && reply.stdinLength() == body.length
                    && reply.stdinSha256().equals(Sha256.hex(body));
            return right ? null : "wrong echo: " + response.body();
        }).start();
    }

    @Test
    @DisplayName("HTTP clients gone mid-request, mid-upload and mid-response: handlers see the abort, workers go back"
            + " to idle, the load is unharmed, nothing is left")
    void clientsGoneMidRequest() throws Exception {
        start("location /fault/upload { fastcgi_pass fcgi_app; fastcgi_keep_conn on; fastcgi_request_buffering off; }");
        ClientLoad load = load();
        load.awaitAnswered(0, STEP, WAIT);
        List<String> faults = new ArrayList<>();
        for (int round = 0; round < ROUNDS; round++) {
            // mid-request: the handler waits 100 s for nothing; the client leaves
            String sleep = "/fault/sleep?round=" + round + "&echo_sleep_ms=100000";
            try (Socket client = connect()) {
                send(client, "GET " + sleep + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
                awaitEntered(sleep);
            }
            // mid-upload: nginx streams the body; the client leaves after 1 of 8 MiB
            String upload = "/fault/upload?round=" + round;
            try (Socket client = connect()) {
                send(client, "POST " + upload + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type:"
                        + " application/octet-stream\r\nContent-Length: " + (8 << 20) + "\r\n\r\n");
                client.getOutputStream().write(new byte[1 << 20]);
                client.getOutputStream().flush();
                awaitEntered(upload);
            }
            // mid-response: the client leaves after 1 MiB of 200 MB
            String big = "/fault/big?round=" + round + "&echo_bytes=200000000";
            try (Socket client = connect()) {
                send(client, "GET " + big + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
                InputStream in = client.getInputStream();
                byte[] buffer = new byte[64 * 1024];
                for (long received = 0; received < 1 << 20; ) {
                    int n = in.read(buffer);
                    assertTrue(n > 0, "the response ended after " + received + " bytes");
                    received += n;
                }
                awaitEntered(big);
            }
            faults.addAll(List.of(sleep, upload, big));
            Await.until(WAIT, () -> handler.exited.containsAll(faults), () -> "the abandoned requests' handlers"
                    + " returned: " + handler + "\n" + nginx.describe());
            load.awaitAnswered(load.answered(), STEP, WAIT);
        }
        load.stop();

        assertEquals(Set.copyOf(faults), Set.copyOf(handler.aborted), () -> "every handler saw its abort: " + handler);
        awaitPoolAtRest();
        PoolStatus status = pool.status();
        assertEquals(load.sent() + faults.size(), status.acceptedConn(), () -> status + "; " + load);
        assertEquals(load.sent() + faults.size(), completed.get(), "requests completed on a worker");
        Await.until(WAIT, () -> server.activeRequestCount() == 0, () -> "requests in progress: "
                + server.activeRequestCount());
        Await.until(WAIT, () -> server.connectionCount() <= 16, () -> "nginx keeps at most 16 idle connections; open: "
                + server.connectionCount());
        try (Stream<Path> files = Files.list(dir.resolve("spool"))) {
            assertEquals(List.of(), files.toList(), "no spool file left");
        }
        assertEquals(List.of(), EchoNginx.errors(nginx), nginx::describe);
        System.out.printf("NginxFaultsUnderLoadTest[gone]: %d requests of the load, %d abandoned requests; %s; "
                + "connections open: %d%n", load.sent(), faults.size(), status, server.connectionCount());
    }

    @Test
    @DisplayName("a slow HTTP reader of 64 MiB through fastcgi_buffering off: the handler waits, heap stays bounded,"
            + " the load is unharmed, every byte arrives")
    void slowReaderThroughNginx() throws Exception {
        start("location /slow/ { fastcgi_pass fcgi_app; fastcgi_keep_conn on; fastcgi_buffering off; }");
        long heapBefore = LiveMemory.heapAfterGc();
        ClientLoad load = load();
        load.awaitAnswered(0, STEP, WAIT);
        long length = 64L << 20;
        List<String> stalls = new ArrayList<>();
        long maxLiveHeap = 0;
        try (Socket client = connect()) {
            send(client, "GET /slow/big?echo_bytes=" + length + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
            InputStream in = client.getInputStream();
            String head = readHead(in);
            assertTrue(head.startsWith("HTTP/1.1 200 OK"), head);
            BytePattern.Reader body = new BytePattern.Reader();
            for (int stall = 1; stall <= 3; stall++) {
                body.read(in, 8L << 20);
                // the reader stops: nginx stops reading from the FastCGI connection, and the handler waits
                awaitWorkerWaitingForTheConnection();
                long live = LiveMemory.heapAfterGc();
                maxLiveHeap = Math.max(maxLiveHeap, live);
                stalls.add((body.bytesRead() >> 20) + " MiB read, heap after GC " + (live >> 20) + " MiB");
                load.awaitAnswered(load.answered(), STEP, WAIT);
            }
            body.read(in, Long.MAX_VALUE);
            assertEquals(length, body.bytesRead(), "bytes received");
            assertEquals(-1, body.firstMismatch(), "offset of the first byte that is not i % 251");
        }
        load.stop();

        awaitPoolAtRest();
        assertEquals(load.sent() + 1, pool.status().acceptedConn());
        Await.until(WAIT, () -> server.activeRequestCount() == 0, "no request in progress");
        System.out.printf("NginxFaultsUnderLoadTest[slow reader]: 64 MiB through fastcgi_buffering off, %d requests "
                + "of the load beside it; heap after GC before %d MiB; at each stop: %s%n", load.sent(),
                heapBefore >> 20, stalls);
        assertTrue(maxLiveHeap - heapBefore < 32 << 20, "heap after GC while stalled: " + stalls);
        assertEquals(List.of(), EchoNginx.errors(nginx), nginx::describe);
    }

    private void awaitPoolAtRest() {
        Await.until(WAIT, () -> {
            PoolStatus status = pool.status();
            return status.idleProcesses() == WORKERS && status.totalProcesses() == WORKERS
                    && status.listenQueue() == 0;
        }, () -> "every worker idle again: " + pool.snapshot());
    }

    private void awaitEntered(String uri) {
        Await.until(WAIT, () -> handler.entered.contains(uri), () -> "the handler runs " + uri + ": " + handler
                + "\n" + nginx.describe());
    }

    /** Waits until a worker thread waits in the server for its connection to take more of a response. */
    private static void awaitWorkerWaitingForTheConnection() {
        Await.until(WAIT, () -> Thread.getAllStackTraces().entrySet().stream()
                        .anyMatch(e -> e.getKey().getName().startsWith("pool-www-worker-")
                                && (e.getKey().getState() == Thread.State.WAITING
                                    || e.getKey().getState() == Thread.State.TIMED_WAITING)
                                && Arrays.stream(e.getValue()).anyMatch(f -> f.getMethodName()
                                    .equals("awaitWritable"))),
                "a worker waits for the connection");
    }

    private Socket connect() throws IOException {
        Socket socket = new Socket();
        socket.setReceiveBufferSize(64 * 1024);
        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), nginx.port()), 10_000);
        socket.setSoTimeout(60_000);
        return socket;
    }

    private static void send(Socket socket, String head) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(head.getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0 || head.size() > 16 * 1024) {
                throw new IOException("no end of the response head: " + head.toString(StandardCharsets.ISO_8859_1));
            }
            head.write(b);
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    /** The echo handler, noting which {@code /fault/} requests it entered, left, and saw aborted. */
    private static final class RecordingHandler implements FcgiHandler {
        private final EchoHandler echo = new EchoHandler();
        final Set<String> entered = ConcurrentHashMap.newKeySet();
        final Set<String> exited = ConcurrentHashMap.newKeySet();
        final Set<String> aborted = ConcurrentHashMap.newKeySet();

        @Override
        public void handle(FcgiRequest request, FcgiResponse response) throws Exception {
            String uri = request.requestUri();
            boolean fault = uri.startsWith("/fault/");
            if (fault) {
                entered.add(uri);
            }
            try {
                echo.handle(request, response);
            } finally {
                if (fault) {
                    if (request.isAborted()) {
                        aborted.add(uri);
                    }
                    exited.add(uri);
                }
            }
        }

        @Override
        public String toString() {
            return "entered " + entered + ", exited " + exited + ", aborted " + aborted;
        }
    }
}
