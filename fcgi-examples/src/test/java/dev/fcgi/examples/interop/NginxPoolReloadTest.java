package dev.fcgi.examples.interop;

import dev.fcgi.pool.FcgiPool;
import dev.fcgi.pool.FcgiPoolManager;
import dev.fcgi.pool.PoolConfig;
import dev.fcgi.pool.PoolDefinition;
import dev.fcgi.protocol.server.FcgiHandler;
import dev.fcgi.protocol.server.FcgiRequest;
import dev.fcgi.protocol.server.FcgiResponse;
import dev.fcgi.protocol.testing.Await;
import dev.fcgi.protocol.testing.FreePorts;
import dev.fcgi.protocol.testing.NginxProcess;
import dev.fcgi.protocol.testing.Sha256;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Reload under continuous load, with nginx in front (bounded): an {@link FcgiPoolManager} runs the pool "www"
 * (over TCP or a Unix domain socket); nginx passes {@code /keep/} to it through a keepalive upstream with
 * {@code fastcgi_keep_conn on}, and {@code /nokeep/} straight to its address (no keepalive pool, so that these
 * requests do not take nginx's kept connections) with {@code fastcgi_keep_conn off}; {@value #CLIENTS} client
 * threads send GETs and small POSTs over HTTP/1.1 keep-alive connections while the pool is reloaded
 * {@value #RELOADS} times, alternating its shape (static 2, static 3, dynamic 1..4).
 *
 * <p>Each reload waits, by counting, for {@value #PER_RELOAD} answered requests since the previous one, of which
 * at least {@value #PER_GENERATION} were served by the pool now active, and for a request to be inside a handler,
 * so that reloads happen while requests are in flight (the test counts the requests that ran across a reload and
 * requires some). Handlers spend 1 to 3 ms per request (a short sleep and a SHA-256),
 * and answer with the request's id, the SHA-256 of the id and the body, the FCGI_KEEP_CONN flag and a payload
 * derived from the id, which the client checks. Every client loop is bounded by a request count and a deadline.
 *
 * <p>Asserted: every request answered 200 with the right body, no connection error, as many requests reached a
 * handler and nginx's access log as were sent, no error and no upstream line in nginx's error log, every pool
 * served requests, the retired pools stopped, nginx's kept FastCGI connections (TCP) outlived the reloads, and a
 * new pool instance serves after the reloads.
 */
class NginxPoolReloadTest {

    private static final int CLIENTS = 8;
    private static final int RELOADS = 20;
    /** Requests answered (all pools) since the previous reload before the next reload. */
    private static final int PER_RELOAD = 40;
    /** Of those, requests served by the pool that the previous reload started. */
    private static final int PER_GENERATION = 10;
    /** The bound in count of each client loop: far more than the reloads need. */
    private static final int MAX_REQUESTS_PER_CLIENT = 500;
    /** The bound in time of each client loop. */
    private static final Duration LOAD_DEADLINE = Duration.ofSeconds(60);
    /** How long one step (a reload's count, the end of the load) may take at most. */
    private static final Duration STEP_TIMEOUT = Duration.ofSeconds(20);
    private static final int SOCKET_TIMEOUT_MILLIS = 20_000;
    private static final int MAX_BODY = 6000;
    private static final int MAX_PAYLOAD = 3000;
    private static final Pattern ACCESS_STATUS = Pattern.compile("\"[A-Z]+ [^\"]*\" (\\d{3}) ");

    enum Transport { TCP, UNIX }

    @ParameterizedTest(name = "{0} upstream")
    @EnumSource(Transport.class)
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void twentyReloadsUnderLoadWithoutAFailedRequest(Transport transport, @TempDir Path dir) throws Exception {
        Stats stats = new Stats();
        Path socket = dir.resolve("www.sock");
        FcgiPoolManager manager = null;
        String listen = null;
        for (int attempt = 1; manager == null; attempt++) {
            listen = transport == Transport.UNIX ? socket.toString() : "127.0.0.1:" + FreePorts.find();
            try {
                manager = FcgiPoolManager.builder().drainTimeout(Duration.ofSeconds(15)).build()
                        .start(List.of(definition(listen, 0, stats)));
            } catch (IOException e) {
                if (transport == Transport.UNIX || attempt == 3) {
                    throw e;
                }
                // another program took the port after FreePorts.find(): try another one
            }
        }
        String upstream = transport == Transport.UNIX ? "unix:" + socket : listen;
        try (FcgiPoolManager pools = manager;
             NginxProcess nginx = NginxProcess.builder(dir.resolve("nginx")).upstream(upstream).keepConn(true)
                     .locationDirective("location /nokeep/ { fastcgi_pass " + upstream + "; fastcgi_keep_conn off; }")
                     .start()) {
            List<FcgiPool> generations = new ArrayList<>();
            generations.add(pools.pool("www"));
            assertShape(0, generations.get(0));

            Load load = new Load(nginx.port(), transport.name().toLowerCase(Locale.ROOT));
            long started = System.nanoTime();
            load.start();
            int[] inFlightAtReload = new int[RELOADS];
            try {
                int answeredAtReload = 0;
                for (int reload = 1; reload <= RELOADS; reload++) {
                    int previous = reload - 1;
                    int answeredBefore = answeredAtReload;
                    // count-based: enough answers since the last reload, some of them from the pool it started,
                    // and a request inside a handler now, so that the reload happens with requests in flight
                    Await.until(STEP_TIMEOUT, () -> load.failed()
                                    || (load.ok.get() >= answeredBefore + PER_RELOAD
                                        && stats.served.get(previous) >= PER_GENERATION
                                        && stats.inFlight.get() > 0),
                            () -> "load before reload " + (previous + 1) + ": " + load.summary(stats, generations)
                                    + "\n" + nginx.describe());
                    assertTrue(!load.failed(), () -> "before reload " + (previous + 1) + ": "
                            + load.summary(stats, generations) + "\n" + nginx.describe());
                    inFlightAtReload[previous] = stats.inFlight.get();
                    answeredAtReload = load.ok.get();
                    pools.reload(List.of(definition(listen, reload, stats)));
                    stats.reloads.incrementAndGet();
                    FcgiPool now = pools.pool("www");
                    assertNotSame(generations.get(previous), now, "reload " + reload + " started a new pool");
                    generations.add(now);
                    assertShape(reload, now);
                }
                int answeredAfterLast = answeredAtReload;
                Await.until(STEP_TIMEOUT, () -> load.failed()
                                || (load.ok.get() >= answeredAfterLast + PER_RELOAD
                                    && stats.served.get(RELOADS) >= PER_GENERATION),
                        () -> "load after the last reload: " + load.summary(stats, generations));
            } finally {
                load.stop();
            }
            long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);

            String summary = load.summary(stats, generations);
            System.out.printf("NginxPoolReloadTest[%s]: %d reloads, %d requests sent (%d GET, %d POST, %d without"
                            + " keep-conn) by %d clients in %d ms (%.0f requests/s); %d client connections; requests"
                            + " in a handler at each reload: min %d, max %d; requests running across a reload: %d;"
                            + " keep-conn FastCGI connections from nginx: %s; served per pool: %s%n",
                    transport, stats.reloads.get(), load.sent.get(), load.gets.get(), load.posts.get(),
                    load.noKeepConn.get(), CLIENTS, elapsedMillis, load.sent.get() * 1000.0 / elapsedMillis,
                    load.connections.get(), min(inFlightAtReload), max(inFlightAtReload), stats.straddled.get(),
                    transport == Transport.TCP ? stats.keepConnPeers.size() : "n/a (unix)", stats.servedList());

            assertEquals(List.of(), List.copyOf(load.failures), () -> summary + "\n" + nginx.describe());
            assertEquals(0, load.non200.get(), summary);
            assertEquals(0, load.connectionErrors.get(), summary);
            assertEquals(0, load.badBodies.get(), summary);
            assertEquals(load.sent.get(), load.ok.get(), () -> "every request sent was answered: " + summary);
            assertEquals(load.sent.get(), stats.handled.get(),
                    () -> "every request reached a handler exactly once (nginx retried none): " + summary);
            assertTrue(load.sent.get() >= (RELOADS + 1) * PER_RELOAD, summary);
            assertTrue(load.noKeepConn.get() > 0 && load.posts.get() > 0 && load.gets.get() > 0, summary);
            assertEquals(RELOADS, stats.reloads.get());
            for (int generation = 0; generation <= RELOADS; generation++) {
                assertTrue(stats.served.get(generation) >= PER_GENERATION,
                        "pool " + generation + " served requests: " + summary);
            }
            // the requests that were running in the old pool when it was replaced finished there, answered
            assertTrue(stats.straddled.get() > 0, () -> "requests ran across a reload: " + summary);
            if (transport == Transport.TCP) {
                // at most one request per client at a time: nginx never needed more kept connections than clients,
                // so more would mean that kept connections were lost (closed) at a reload
                assertTrue(stats.keepConnPeers.size() <= CLIENTS, () -> "nginx's kept FastCGI connections outlive"
                        + " the reloads: " + stats.keepConnPeers.size() + " connections carried keep-conn requests");
            }

            Path accessLog = nginx.directory().resolve("access.log");
            Await.until(Duration.ofSeconds(10), () -> accessLines(accessLog).size() >= load.sent.get(),
                    () -> "nginx logged every request: " + accessLines(accessLog).size() + " of " + load.sent.get());
            List<String> accessLines = accessLines(accessLog);
            assertEquals(load.sent.get(), accessLines.size(), "requests in nginx's access log");
            List<String> notOk = accessLines.stream().filter(line -> !"200".equals(status(line))).toList();
            assertEquals(List.of(), notOk.subList(0, Math.min(10, notOk.size())), "access log lines not 200");
            assertEquals(List.of(), EchoNginx.errors(nginx), nginx::describe);
            List<String> upstreamLines = nginx.errorLog().lines().filter(line -> line.contains("upstream")).toList();
            assertEquals(List.of(), upstreamLines, nginx::describe);

            // the pools replaced finished their requests and stopped; the last one serves
            FcgiPool last = generations.get(RELOADS);
            assertSame(last, pools.pool("www"));
            assertNotSame(generations.get(0), pools.pool("www"));
            Await.until(Duration.ofSeconds(20), () -> generations.subList(0, RELOADS).stream()
                            .allMatch(pool -> pool.status().totalProcesses() == 0),
                    () -> "the retired pools stopped their workers: " + generations.subList(0, RELOADS).stream()
                            .map(pool -> pool.status().totalProcesses()).toList());
            long acceptedBefore = last.status().acceptedConn();
            try (HttpConnection connection = HttpConnection.open(nginx.port())) {
                Exchange exchange = Exchange.of("final-" + transport, 0, 777, true, false);
                HttpResponse response = connection.send(exchange);
                assertEquals(200, response.status(), () -> response.text() + "\n" + nginx.describe());
                assertEquals(null, exchange.check(response));
                assertEquals(Integer.toString(RELOADS), response.field("generation"),
                        "the request after the reloads is served by the last pool");
            }
            assertEquals(acceptedBefore + 1, last.status().acceptedConn(), "the last pool accepted it");
        }
    }

    /** The pool's shape for generation {@code g}: static 2, static 3, dynamic (1 to 3 spare, 4 at most), ... */
    private static PoolDefinition definition(String listen, int generation, Stats stats) {
        PoolConfig.Builder config = PoolConfig.builder("www").listen(listen);
        switch (generation % 3) {
            case 0 -> config.pm("static").maxChildren(2);
            case 1 -> config.pm("static").maxChildren(3);
            default -> config.pm("dynamic").maxChildren(4).startServers(2).minSpareServers(1).maxSpareServers(3);
        }
        return new PoolDefinition(config.build(), () -> new LoadHandler(generation, stats));
    }

    private static void assertShape(int generation, FcgiPool pool) {
        switch (generation % 3) {
            case 0, 1 -> {
                assertEquals("static", pool.status().processManager(), "pool " + generation);
                assertEquals(2 + generation % 3, pool.status().totalProcesses(), "workers of pool " + generation);
            }
            default -> assertEquals("dynamic", pool.status().processManager(), "pool " + generation);
        }
    }

    private static List<String> accessLines(Path file) {
        try {
            return Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8) : List.of();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String status(String accessLine) {
        Matcher m = ACCESS_STATUS.matcher(accessLine);
        return m.find() ? m.group(1) : accessLine;
    }

    private static int min(int[] values) {
        int min = Integer.MAX_VALUE;
        for (int v : values) {
            min = Math.min(min, v);
        }
        return min;
    }

    private static int max(int[] values) {
        int max = 0;
        for (int v : values) {
            max = Math.max(max, v);
        }
        return max;
    }

    /** What the handlers of every pool saw. */
    static final class Stats {
        final AtomicInteger reloads = new AtomicInteger();
        final AtomicInteger inFlight = new AtomicInteger();
        final AtomicInteger handled = new AtomicInteger();
        final AtomicInteger straddled = new AtomicInteger();
        final AtomicIntegerArray served = new AtomicIntegerArray(RELOADS + 1);
        /** nginx's ends of the FastCGI connections that carried keep-conn requests (TCP only). */
        final Set<SocketAddress> keepConnPeers = ConcurrentHashMap.newKeySet();

        List<Integer> servedList() {
            List<Integer> list = new ArrayList<>();
            for (int i = 0; i < served.length(); i++) {
                list.add(served.get(i));
            }
            return list;
        }
    }

    /**
     * A worker's handler for pool {@code generation}: reads the body, works 1 to 3 ms, and answers with the id,
     * the SHA-256 of id and body, the keep-conn flag, its pool's generation and a payload derived from the id.
     */
    static final class LoadHandler implements FcgiHandler {
        private final int generation;
        private final Stats stats;

        LoadHandler(int generation, Stats stats) {
            this.generation = generation;
            this.stats = stats;
        }

        @Override
        public void handle(FcgiRequest request, FcgiResponse response) throws Exception {
            stats.inFlight.incrementAndGet();
            stats.handled.incrementAndGet();
            int reloadsAtStart = stats.reloads.get();
            try {
                String id = request.header("X-Request-Id");
                if (request.keepConn() && request.peerAddress() instanceof InetSocketAddress peer) {
                    stats.keepConnPeers.add(peer);
                }
                byte[] body = request.body().readAllBytes();
                Map<String, String> query = query(request.queryString());
                int size = Integer.parseInt(query.getOrDefault("size", "0"));
                Thread.sleep(1 + Math.floorMod(id.hashCode(), 3)); // the work of a small script
                response.contentType("text/plain");
                response.body().write(Exchange.reply(id, request.method(), request.keepConn(), generation, body,
                        size));
            } finally {
                stats.served.incrementAndGet(generation);
                if (stats.reloads.get() != reloadsAtStart) {
                    stats.straddled.incrementAndGet();
                }
                stats.inFlight.decrementAndGet();
            }
        }

        private static Map<String, String> query(String queryString) {
            Map<String, String> map = new HashMap<>();
            for (String pair : queryString.split("&")) {
                int eq = pair.indexOf('=');
                if (eq > 0) {
                    map.put(pair.substring(0, eq), pair.substring(eq + 1));
                }
            }
            return map;
        }
    }

    /** One request of the load and the answer it expects. */
    record Exchange(String id, boolean post, boolean keepConn, byte[] body, int payloadSize) {

        static Exchange of(String id, int bodySize, int payloadSize, boolean keepConn, boolean post) {
            byte[] body = new byte[post ? bodySize : 0];
            new Random(id.hashCode()).nextBytes(body);
            return new Exchange(id, post, keepConn, body, payloadSize);
        }

        String target() {
            return (keepConn ? "/keep/" : "/nokeep/") + (post ? "post" : "get") + "?id=" + id + "&size=" + payloadSize;
        }

        byte[] request() {
            StringBuilder head = new StringBuilder();
            head.append(post ? "POST " : "GET ").append(target()).append(" HTTP/1.1\r\n");
            head.append("Host: 127.0.0.1\r\n");
            head.append("X-Request-Id: ").append(id).append("\r\n");
            if (post) {
                head.append("Content-Type: application/octet-stream\r\n");
                head.append("Content-Length: ").append(body.length).append("\r\n");
            }
            head.append("\r\n");
            byte[] headBytes = head.toString().getBytes(StandardCharsets.US_ASCII);
            byte[] all = new byte[headBytes.length + body.length];
            System.arraycopy(headBytes, 0, all, 0, headBytes.length);
            System.arraycopy(body, 0, all, headBytes.length, body.length);
            return all;
        }

        /** The handler's answer: fields, one per line, then the payload. */
        static byte[] reply(String id, String method, boolean keepConn, int generation, byte[] body, int size) {
            String text = "id=" + id + "\nmethod=" + method + "\nkeep_conn=" + keepConn + "\ngeneration="
                    + generation + "\nlength=" + body.length + "\nsha256=" + digest(id, body) + "\npayload=" + size
                    + "\n" + payload(id, size);
            return text.getBytes(StandardCharsets.UTF_8);
        }

        static String digest(String id, byte[] body) {
            MessageDigest sha = Sha256.newDigest();
            sha.update(id.getBytes(StandardCharsets.UTF_8));
            sha.update(body);
            return Sha256.hex(sha);
        }

        static String payload(String id, int size) {
            String unit = id + ";";
            return unit.repeat(size / unit.length() + 1).substring(0, size);
        }

        /** {@code null} when {@code response}'s body is the answer to this request, else what is wrong. */
        String check(HttpResponse response) {
            String generation = response.field("generation");
            if (generation == null || !generation.matches("\\d{1,2}") || Integer.parseInt(generation) > RELOADS) {
                return "request " + id + " (" + target() + "): no pool generation in\n" + abbreviate(response.text());
            }
            String expected = "id=" + id + "\nmethod=" + (post ? "POST" : "GET") + "\nkeep_conn=" + keepConn
                    + "\ngeneration=" + response.field("generation") + "\nlength=" + body.length + "\nsha256="
                    + digest(id, body) + "\npayload=" + payloadSize + "\n" + payload(id, payloadSize);
            String actual = response.text();
            if (!expected.equals(actual)) {
                return "request " + id + " (" + target() + "): expected\n" + abbreviate(expected) + "\nbut got\n"
                        + abbreviate(actual);
            }
            return null;
        }

        private static String abbreviate(String text) {
            return text.length() <= 400 ? text : text.substring(0, 400) + "...";
        }
    }

    /** An HTTP response as read off the connection. */
    record HttpResponse(int status, Map<String, String> headers, byte[] body) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        /** A {@code name=value} line of the handler's answer, or {@code null}. */
        String field(String name) {
            for (String line : text().split("\n")) {
                if (line.startsWith(name + "=")) {
                    return line.substring(name.length() + 1);
                }
                if (line.startsWith("payload=")) {
                    break;
                }
            }
            return null;
        }

        boolean close() {
            return "close".equalsIgnoreCase(headers.getOrDefault("connection", ""));
        }
    }

    /** A plain HTTP/1.1 keep-alive connection: every failure shows, none is retried behind the test's back. */
    static final class HttpConnection implements AutoCloseable {
        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;

        private HttpConnection(Socket socket) throws IOException {
            this.socket = socket;
            this.in = new BufferedInputStream(socket.getInputStream());
            this.out = socket.getOutputStream();
        }

        static HttpConnection open(int port) throws IOException {
            Socket socket = new Socket();
            try {
                socket.setTcpNoDelay(true);
                socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), SOCKET_TIMEOUT_MILLIS);
                socket.setSoTimeout(SOCKET_TIMEOUT_MILLIS);
                return new HttpConnection(socket);
            } catch (IOException | RuntimeException e) {
                socket.close();
                throw e;
            }
        }

        HttpResponse send(Exchange exchange) throws IOException {
            out.write(exchange.request());
            out.flush();
            String statusLine = line();
            String[] parts = statusLine.split(" ", 3);
            if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
                throw new IOException("not an HTTP status line: '" + statusLine + "'");
            }
            int status = Integer.parseInt(parts[1]);
            Map<String, String> headers = new LinkedHashMap<>();
            for (String header = line(); !header.isEmpty(); header = line()) {
                int colon = header.indexOf(':');
                headers.put(header.substring(0, colon).trim().toLowerCase(Locale.ROOT),
                        header.substring(colon + 1).trim());
            }
            byte[] body;
            if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
                ByteArrayOutputStream buffer = new ByteArrayOutputStream();
                for (;;) {
                    String sizeLine = line();
                    int semicolon = sizeLine.indexOf(';');
                    int size = Integer.parseInt((semicolon < 0 ? sizeLine : sizeLine.substring(0, semicolon)).trim(),
                            16);
                    if (size == 0) {
                        while (!line().isEmpty()) {
                            // trailers
                        }
                        break;
                    }
                    buffer.write(exactly(size));
                    if (!line().isEmpty()) {
                        throw new IOException("no CRLF after a chunk");
                    }
                }
                body = buffer.toByteArray();
            } else if (headers.containsKey("content-length")) {
                body = exactly(Integer.parseInt(headers.get("content-length")));
            } else {
                body = in.readAllBytes();
                headers.put("connection", "close");
            }
            return new HttpResponse(status, headers, body);
        }

        private byte[] exactly(int n) throws IOException {
            byte[] bytes = in.readNBytes(n);
            if (bytes.length != n) {
                throw new EOFException("connection closed after " + bytes.length + " of " + n + " bytes");
            }
            return bytes;
        }

        private String line() throws IOException {
            StringBuilder line = new StringBuilder();
            for (;;) {
                int b = in.read();
                if (b < 0) {
                    throw new EOFException("connection closed" + (line.isEmpty() ? "" : " in '" + line + "'"));
                }
                if (b == '\n') {
                    int end = line.length();
                    return end > 0 && line.charAt(end - 1) == '\r' ? line.substring(0, end - 1) : line.toString();
                }
                line.append((char) b);
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /** {@value #CLIENTS} client threads, each bounded by a request count and a deadline. */
    static final class Load {
        private final int port;
        private final String prefix;
        private final AtomicBoolean stop = new AtomicBoolean();
        private final List<Thread> threads = new ArrayList<>();
        final AtomicInteger sent = new AtomicInteger();
        final AtomicInteger ok = new AtomicInteger();
        final AtomicInteger gets = new AtomicInteger();
        final AtomicInteger posts = new AtomicInteger();
        final AtomicInteger noKeepConn = new AtomicInteger();
        final AtomicInteger non200 = new AtomicInteger();
        final AtomicInteger connectionErrors = new AtomicInteger();
        final AtomicInteger badBodies = new AtomicInteger();
        final AtomicInteger connections = new AtomicInteger();
        final AtomicLong exhausted = new AtomicLong();
        final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();

        Load(int port, String prefix) {
            this.port = port;
            this.prefix = prefix;
        }

        void start() {
            long deadline = System.nanoTime() + LOAD_DEADLINE.toNanos();
            for (int c = 0; c < CLIENTS; c++) {
                int client = c;
                threads.add(Thread.ofPlatform().name("reload-load-" + c).start(() -> run(client, deadline)));
            }
        }

        boolean failed() {
            return !failures.isEmpty() || exhausted.get() == CLIENTS;
        }

        private void run(int client, long deadline) {
            Random random = new Random(client * 7919L);
            HttpConnection connection = null;
            try {
                int i = 0;
                for (; i < MAX_REQUESTS_PER_CLIENT && !stop.get() && System.nanoTime() - deadline < 0; i++) {
                    boolean post = i % 2 == 1;
                    boolean keepConn = i % 4 != 3 - client % 2;
                    Exchange exchange = Exchange.of(prefix + "-c" + client + "-" + i, 1 + random.nextInt(MAX_BODY),
                            random.nextInt(MAX_PAYLOAD), keepConn, post);
                    (post ? posts : gets).incrementAndGet();
                    if (!keepConn) {
                        noKeepConn.incrementAndGet();
                    }
                    sent.incrementAndGet();
                    HttpResponse response;
                    try {
                        if (connection == null) {
                            connection = HttpConnection.open(port);
                            connections.incrementAndGet();
                        }
                        response = connection.send(exchange);
                    } catch (IOException | RuntimeException e) {
                        connectionErrors.incrementAndGet();
                        fail("request " + exchange.id() + " (" + exchange.target() + "): " + e);
                        connection = closeQuietly(connection);
                        continue;
                    }
                    if (response.close()) {
                        connection = closeQuietly(connection);
                    }
                    if (response.status() != 200) {
                        non200.incrementAndGet();
                        fail("request " + exchange.id() + " (" + exchange.target() + "): status " + response.status()
                                + ": " + response.text());
                        continue;
                    }
                    String wrong = exchange.check(response);
                    if (wrong != null) {
                        badBodies.incrementAndGet();
                        fail(wrong);
                        continue;
                    }
                    ok.incrementAndGet();
                }
                if (i == MAX_REQUESTS_PER_CLIENT) {
                    exhausted.incrementAndGet();
                }
            } finally {
                closeQuietly(connection);
            }
        }

        private void fail(String message) {
            if (failures.size() < 20) {
                failures.add(message);
            }
        }

        private static HttpConnection closeQuietly(HttpConnection connection) {
            if (connection != null) {
                try {
                    connection.close();
                } catch (IOException ignored) {
                    // a connection that failed already
                }
            }
            return null;
        }

        /** Stops the clients after their current request and waits for them. */
        void stop() throws InterruptedException {
            stop.set(true);
            for (Thread thread : threads) {
                thread.join(TimeUnit.SECONDS.toMillis(SOCKET_TIMEOUT_MILLIS / 1000 + 10));
                assertTrue(!thread.isAlive(), thread.getName() + " stopped");
            }
        }

        String summary(Stats stats, List<FcgiPool> pools) {
            return "sent " + sent + ", answered " + ok + ", non-200 " + non200 + ", connection errors "
                    + connectionErrors + ", bad bodies " + badBodies + ", handled " + stats.handled + ", in flight "
                    + stats.inFlight + ", reloads " + stats.reloads + ", clients out of requests " + exhausted
                    + ", served per pool " + stats.servedList() + ", active pool " + pools.get(pools.size() - 1)
                    .status() + ", failures " + failures;
        }
    }
}
