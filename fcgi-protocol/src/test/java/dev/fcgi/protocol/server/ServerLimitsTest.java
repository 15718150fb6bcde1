package dev.fcgi.protocol.server;

import dev.fcgi.protocol.testing.Await;
import dev.fcgi.protocol.testing.BytePattern;
import dev.fcgi.protocol.testing.LimitValues;
import dev.fcgi.protocol.testing.LiveMemory;
import dev.fcgi.protocol.testing.RawFcgiConnection;
import dev.fcgi.protocol.testing.RawFcgiConnection.Record;
import dev.fcgi.protocol.testing.RawFcgiConnection.Response;
import dev.fcgi.protocol.testing.Sha256;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.IntStream;
import java.util.stream.LongStream;

import static dev.fcgi.protocol.testing.RawFcgiConnection.*;
import static java.nio.charset.StandardCharsets.UTF_8;
import static dev.fcgi.protocol.testing.LimitValues.edgesAndSeeded;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Every limit of {@link FcgiServer.Builder}, each with input just under it (served as usual) and just over it (the
 * documented reaction), and another request or connection unharmed. Values are the edges (the smallest allowed,
 * the default, 64 KiB, one record) and one drawn from a fixed seed ({@link LimitValues}), shown in each test's name.
 * Attacks that play on the timeouts (trickled bytes, stalled bodies, peers that stop reading) are in
 * {@link ServerSlowlorisTest}; thousands of half-open requests in {@link ServerHalfOpenTest}.
 */
class ServerLimitsTest {

    static final FcgiHandler HELLO = (request, response) -> response.body().write("hi".getBytes(UTF_8));
    static final FcgiHandler ECHO = (request, response) -> response.body().write(request.body().readAllBytes());

    /** A handler that waits until released; counts itself in {@code running}. */
    private static final class Gate implements FcgiHandler {
        final CountDownLatch release = new CountDownLatch(1);
        final java.util.concurrent.Semaphore running = new java.util.concurrent.Semaphore(0);

        @Override
        public void handle(FcgiRequest request, FcgiResponse response) throws Exception {
            running.release();
            assertTrue(release.await(30, TimeUnit.SECONDS), "released");
            response.body().write("released".getBytes(UTF_8));
        }

        void awaitRunning(int n) throws InterruptedException {
            assertTrue(running.tryAcquire(n, 20, TimeUnit.SECONDS), n + " handlers running");
        }
    }

    /** Name-value pairs whose encoding is exactly {@code length} bytes (at least 3). */
    static byte[] pairsOfLength(int length) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int rest = length;
        if (rest > 130 && rest < 134) {          // no single pair is 131 to 133 bytes long
            pair(out, "A".getBytes(UTF_8), new byte[0]);
            rest -= 3;
        }
        byte[] value = new byte[rest <= 130 ? rest - 3 : rest - 6];
        java.util.Arrays.fill(value, (byte) 'v');
        pair(out, "X".getBytes(UTF_8), value);
        byte[] pairs = out.toByteArray();
        assertEquals(length, pairs.length);
        return pairs;
    }

    /** A whole request whose params are the given encoded pairs. */
    /** Waits until the body has {@code bytes} bytes that can be read without waiting. */
    private static void awaitAvailable(InputStream body, int bytes) {
        Await.until(Duration.ofSeconds(20), () -> {
            try {
                return body.available() >= bytes;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, () -> bytes + " body bytes arrived");
    }

    private static void requestWithPairs(RawFcgiConnection conn, int id, byte[] pairs) throws IOException {
        conn.begin(id, 1, true).stream(PARAMS, id, pairs).send(PARAMS, id, new byte[0]).stdin(id, new byte[0]);
    }

    static IntStream paramsLengths() {
        return edgesAndSeeded(64, 256 * 1024, 64, 1024, 0xFFFF, 0x10000, 256 * 1024);
    }

    @ParameterizedTest(name = "maxParamsLength {0}")
    @MethodSource("paramsLengths")
    @DisplayName("spec 16, 56: maxParamsLength: params of exactly the limit are served, one byte more get 431 alone")
    void maxParamsLength(int limit) throws Exception {
        try (ServerFixture fixture = new ServerFixture(HELLO, b -> b.maxParamsLength(limit));
             RawFcgiConnection conn = fixture.connect()) {
            requestWithPairs(conn, 1, pairsOfLength(limit));
            assertEquals("hi", conn.readResponse(1).body(), "params of exactly " + limit + " bytes");
            conn.begin(2, 1, true).begin(3, 1, true);
            conn.stream(PARAMS, 2, pairsOfLength(limit + 1)).send(PARAMS, 2, new byte[0]).stdin(2, new byte[0]);
            conn.params(3, Map.of("SMALL", "y")).stdin(3, new byte[0]);
            Map<Integer, Response> responses = conn.readResponses(2, 3);
            assertEquals(431, responses.get(2).status());
            assertEquals(0, responses.get(2).end().protocolStatus(), "the request ends normally, with its 431");
            assertEquals("hi", responses.get(3).body(), "the other request on the connection is served");
        }
    }

    @Test
    @DisplayName("spec 16, 56: maxParamsLength: a name-value length near 2^31 gets 431 before anything is allocated")
    void paramsLengthNearTwoToThe31() throws Exception {
        try (ServerFixture fixture = new ServerFixture(HELLO); RawFcgiConnection conn = fixture.connect()) {
            conn.begin(1, 1, true).send(PARAMS, 1, new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xF0, 1})
                    .params(1, Map.of()).stdin(1, new byte[0]);
            assertEquals(431, conn.readResponse(1).status());
        }
    }

    static IntStream pairCounts() {
        return edgesAndSeeded(1, 5000, 1, 10, 1000);
    }

    @ParameterizedTest(name = "maxParams {0}")
    @MethodSource("pairCounts")
    @DisplayName("spec 56: maxParams: exactly the limit of pairs is served, one pair more gets 431 alone")
    void maxParams(int limit) throws Exception {
        try (ServerFixture fixture = new ServerFixture(HELLO, b -> b.maxParams(limit));
             RawFcgiConnection conn = fixture.connect()) {
            Map<String, String> pairs = new LinkedHashMap<>();
            for (int i = 0; i < limit; i++) {
                pairs.put("P" + i, "v");
            }
            conn.request(1, true, pairs, new byte[0]);
            assertEquals("hi", conn.readResponse(1).body(), limit + " pairs");
            pairs.put("ONE_MORE", "v");
            conn.request(2, true, pairs, new byte[0]);
            assertEquals(431, conn.readResponse(2).status());
            conn.request(3, true, Map.of(), new byte[0]);
            assertEquals("hi", conn.readResponse(3).body(), "the connection goes on");
        }
    }

    static LongStream bodyLengths() {
        return LongStream.concat(LongStream.of(0, 1000, 0xFFFF, 0x10000),
                edgesAndSeeded(1, 1 << 20).asLongStream());
    }

    @ParameterizedTest(name = "maxRequestBodyLength {0}")
    @MethodSource("bodyLengths")
    @DisplayName("spec 56: maxRequestBodyLength: a body of exactly the limit is read whole, one byte more gets 413")
    void maxRequestBodyLength(long limit) throws Exception {
        try (ServerFixture fixture = new ServerFixture(ECHO, b -> b.maxRequestBodyLength(limit));
             RawFcgiConnection conn = fixture.connect()) {
            conn.request(1, true, Map.of(), new byte[(int) limit]);
            assertEquals(limit, conn.readResponse(1).body().length());
            conn.request(2, true, Map.of(), new byte[(int) limit + 1]);
            Response tooLarge = conn.readResponse(2);
            assertEquals(413, tooLarge.status());
            assertEquals(1, tooLarge.end().appStatus());
            conn.request(3, true, Map.of(), new byte[0]);
            assertEquals(200, conn.readResponse(3).status(), "the connection goes on");
        }
    }

    static IntStream spoolThresholds() {
        return edgesAndSeeded(1, 1 << 20, 0, 1000, 0x10000, 256 * 1024);
    }

    @ParameterizedTest(name = "bodySpoolThreshold {0}")
    @MethodSource("spoolThresholds")
    @DisplayName("bodySpoolThreshold: an unread body of exactly the threshold stays in memory, one byte more is spooled")
    void bodySpoolThreshold(int threshold, @TempDir Path spool) throws Exception {
        FcgiHandler handler = (request, response) -> {
            RequestBody body = (RequestBody) request.body();
            int expected = Integer.parseInt(request.param("CONTENT_LENGTH"));
            awaitAvailable(body, expected);
            response.body().write((body.isSpooled() + " " + body.readAllBytes().length).getBytes(UTF_8));
        };
        try (ServerFixture fixture = new ServerFixture(handler, b -> b.bodySpoolThreshold(threshold)
                .spoolDirectory(spool)); RawFcgiConnection conn = fixture.connect()) {
            conn.request(1, true, Map.of("CONTENT_LENGTH", Integer.toString(threshold)), new byte[threshold]);
            assertEquals("false " + threshold, conn.readResponse(1).body());
            conn.request(2, true, Map.of("CONTENT_LENGTH", Integer.toString(threshold + 1)), new byte[threshold + 1]);
            assertEquals("true " + (threshold + 1), conn.readResponse(2).body());
            try (var files = Files.list(spool)) {
                assertEquals(0, files.count(), "the spool file is gone with its request");
            }
        }
    }

    @Test
    @DisplayName("bodySpoolThreshold: a body in one-byte records, each read apart, takes memory for its bytes only")
    void bodyInOneByteRecords() throws Exception {
        int records = 10_000;
        CountDownLatch arrived = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        FcgiHandler handler = (request, response) -> {
            awaitAvailable(request.body(), records);
            arrived.countDown();
            assertTrue(release.await(30, TimeUnit.SECONDS));
            response.body().write(Integer.toString(request.body().readAllBytes().length).getBytes(UTF_8));
        };
        try (ServerFixture fixture = new ServerFixture(handler); RawFcgiConnection conn = fixture.connect()) {
            long before = LiveMemory.used();
            conn.begin(1, 1, true).params(1, Map.of());
            byte[] record = record(STDIN, 1, new byte[] {'x'});
            for (int i = 0; i < records; i++) {
                conn.write(record);
                LockSupport.parkNanos(20_000);          // one record per read, as a trickle would come
            }
            assertTrue(arrived.await(30, TimeUnit.SECONDS));
            long held = LiveMemory.used() - before;
            System.out.printf("%d one-byte STDIN records held: %d KiB%n", records, held >> 10);
            release.countDown();
            conn.send(STDIN, 1, new byte[0]);
            assertEquals(Integer.toString(records), conn.readResponse(1).body());
            // Each slice used to keep the whole read buffer it came in (64 bytes to 2 KiB, and a leak-tracing
            // record per buffer in these tests): about 30 MiB for these 10,000 bytes.
            assertTrue(held < 8L << 20, records + " body bytes held " + LiveMemory.mib(held) + " MiB");
        }
    }

    /**
     * Writes the STDIN of request {@code id} as the pattern body whose byte i is {@code i % 251} ({@link BytePattern}),
     * generated record by record: 65,528 content bytes per record (no padding), one record buffer reused.
     */
    private static final class PatternStdin {
        private static final int CONTENT = 0xFFF8;
        private final RawFcgiConnection conn;
        private final byte[] pattern = new byte[CONTENT + BytePattern.MODULUS];
        private final byte[] record;
        private long sent;

        PatternStdin(RawFcgiConnection conn, int id) {
            this.conn = conn;
            for (int i = 0; i < pattern.length; i++) {
                pattern[i] = (byte) (i % BytePattern.MODULUS);
            }
            record = RawFcgiConnection.record(STDIN, id, new byte[CONTENT]);
        }

        /** Sends the next {@code count} bytes of the pattern (without the empty STDIN record). */
        void send(long count) throws IOException {
            for (long left = count; left > 0; ) {
                int length = (int) Math.min(CONTENT, left);
                int phase = (int) (sent % BytePattern.MODULUS);
                if (length == CONTENT) {
                    System.arraycopy(pattern, phase, record, 8, CONTENT);
                    conn.write(record);
                } else {
                    conn.write(RawFcgiConnection.record(STDIN, record[3] & 0xFF,
                            java.util.Arrays.copyOfRange(pattern, phase, phase + length)));
                }
                sent += length;
                left -= length;
            }
        }
    }

    /**
     * The files under {@code directory} this process has open, deleted or not: the server opens its spool files with
     * DELETE_ON_CLOSE, which on Linux unlinks them at once, so that the directory never lists them.
     */
    private static long openSpoolFiles(Path directory) {
        Path fds = Path.of("/proc/self/fd");
        try (var links = Files.list(fds)) {
            return links.filter(link -> {
                try {
                    return Files.readSymbolicLink(link).toString().startsWith(directory.toString() + "/");
                } catch (IOException e) {
                    return false;                   // closed meanwhile, or not a link
                }
            }).count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    @DisplayName("spec 75, 48, 74: a 100 MB body the handler does not read yet is spooled to disk past"
            + " bodySpoolThreshold (the server keeps reading the connection instead of turning autoRead off): a second"
            + " request multiplexed on the connection is answered meanwhile, live memory stays bounded, then the handler"
            + " reads all 100 MB with the right SHA-256 and the spool directory is left empty")
    void hundredMegabyteBodyIsSpooled(@TempDir Path spool) throws Exception {
        long size = 100L << 20;
        int threshold = 256 * 1024;
        java.util.concurrent.atomic.AtomicReference<FcgiRequest> first = new java.util.concurrent.atomic.AtomicReference<>();
        CountDownLatch release = new CountDownLatch(1);
        FcgiHandler handler = (request, response) -> {
            if (request.requestId() != 1) {
                response.body().write("second".getBytes(UTF_8));
                return;
            }
            first.set(request);
            assertTrue(release.await(120, TimeUnit.SECONDS), "released");
            java.security.MessageDigest digest = Sha256.newDigest();
            byte[] buffer = new byte[64 * 1024];
            long read = 0;
            for (int n; (n = request.body().read(buffer)) >= 0; ) {
                digest.update(buffer, 0, n);
                read += n;
            }
            response.body().write((read + " " + Sha256.hex(digest)).getBytes(UTF_8));
        };
        try (ServerFixture fixture = new ServerFixture(handler, b -> b.bodySpoolThreshold(threshold)
                .spoolDirectory(spool)); RawFcgiConnection conn = fixture.connect()) {
            long before = LiveMemory.used();
            conn.begin(1, 1, true).params(1, Map.of("CONTENT_LENGTH", Long.toString(size)));
            PatternStdin body = new PatternStdin(conn, 1);
            body.send(size / 2);
            conn.request(2, true, Map.of(), new byte[0]);
            Response second = conn.readResponse(2);       // nothing of request 1 comes first: it has not answered
            assertEquals("second", second.body(), "answered while request 1's body is half sent and unread");
            Await.until(Duration.ofSeconds(20), () -> first.get() != null, "request 1's handler runs");
            RequestBody unread = (RequestBody) first.get().body();
            long midway = LiveMemory.used() - before;

            body.send(size - size / 2);
            conn.send(STDIN, 1, new byte[0]);
            awaitAvailable(unread, (int) size);
            long held = LiveMemory.used() - before;
            boolean spooled = unread.isSpooled();
            long inMemory = unread.bufferedBytes();
            boolean procFd = Files.isDirectory(Path.of("/proc/self/fd"));     // Linux: the spool file can be seen
            if (procFd) {
                assertEquals(1, openSpoolFiles(spool), "one spool file open for the unread body");
            }
            System.out.printf("100 MB unread body: live memory %d KiB above the start half way, %d KiB with all of it"
                    + " arrived (%d bytes in memory, the rest spooled)%n", midway >> 10, held >> 10, inMemory);

            release.countDown();
            Response response = conn.readResponse(1);
            assertEquals(size + " " + Sha256.ofPattern(size, BytePattern.MODULUS), response.body());
            assertEquals(0, response.end().protocolStatus());
            assertTrue(spooled, "past bodySpoolThreshold the body went to a file");
            assertTrue(inMemory <= threshold, inMemory + " unread bytes in memory, threshold " + threshold);
            long bound = 32L << 20;
            assertTrue(midway < bound && held < bound, "live memory grew by " + LiveMemory.mib(midway) + " MiB half way, "
                    + LiveMemory.mib(held) + " MiB with the whole body unread (bound " + LiveMemory.mib(bound) + " MiB)");
            if (procFd) {
                Await.until(Duration.ofSeconds(20), () -> openSpoolFiles(spool) == 0,
                        "the spool file is closed once its request ended");
            }
            try (var files = Files.list(spool)) {
                assertEquals(List.of(), files.toList(), "nothing left in the spool directory");
            }
        }
    }

    static IntStream connectionCounts() {
        return edgesAndSeeded(2, 32, 1, 3);
    }

    @ParameterizedTest(name = "maxConnections {0}")
    @MethodSource("connectionCounts")
    @DisplayName("spec 56: maxConnections: that many connections are served; one more waits in the backlog until one"
            + " closes")
    void maxConnections(int limit) throws Exception {
        try (ServerFixture fixture = new ServerFixture(HELLO, b -> b.maxConnections(limit))) {
            List<RawFcgiConnection> open = new ArrayList<>();
            try {
                for (int i = 0; i < limit; i++) {
                    RawFcgiConnection conn = fixture.connect();
                    open.add(conn);
                    conn.request(1, true, Map.of(), new byte[0]);
                    assertEquals("hi", conn.readResponse(1).body());
                }
                assertEquals(limit, fixture.server.connectionCount());
                RawFcgiConnection waiting = fixture.connect().timeout(Duration.ofMillis(300));
                open.add(waiting);
                waiting.request(1, true, Map.of(), new byte[0]);
                IOException unanswered = assertThrows(IOException.class, waiting::readRecord,
                        "connected (the kernel's backlog), but not accepted while " + limit + " are open");
                assertTrue(unanswered.getMessage().startsWith("no data within"), unanswered.getMessage());
                open.get(0).request(2, true, Map.of(), new byte[0]);
                assertEquals("hi", open.get(0).readResponse(2).body(), "the open connections are served");
                open.remove(0).close();
                waiting.timeout(Duration.ofSeconds(20));
                assertEquals("hi", waiting.readResponse(1).body(), "accepted once a connection closed");
            } finally {
                for (RawFcgiConnection conn : open) {
                    conn.close();
                }
            }
        }
    }

    static IntStream requestsPerConnection() {
        return edgesAndSeeded(3, 200, 1, 2);
    }

    @ParameterizedTest(name = "maxRequestsPerConnection {0}")
    @MethodSource("requestsPerConnection")
    @DisplayName("spec 46, 47, 56: maxRequestsPerConnection: that many run at once; one more gets FCGI_CANT_MPX_CONN (limit"
            + " 1) or FCGI_OVERLOADED")
    void maxRequestsPerConnection(int limit) throws Exception {
        Gate gate = new Gate();
        try (ServerFixture fixture = new ServerFixture(gate, b -> b.maxRequestsPerConnection(limit));
             RawFcgiConnection conn = fixture.connect()) {
            for (int id = 1; id <= limit; id++) {
                conn.request(id, true, Map.of(), new byte[0]);
            }
            gate.awaitRunning(limit);
            conn.request(limit + 1, true, Map.of(), new byte[0]);
            Response refused = conn.readResponse(limit + 1);
            assertEquals(1, refused.records().size(), "END_REQUEST alone");
            assertEquals(limit == 1 ? 1 : 2, refused.end().protocolStatus());
            gate.release.countDown();
            int[] ids = IntStream.rangeClosed(1, limit).toArray();
            conn.readResponses(ids).values().forEach(r -> assertEquals("released", r.body()));
            conn.request(1, true, Map.of(), new byte[0]);
            assertEquals("released", conn.readResponse(1).body(), "its slot is free again");
        }
    }

    static IntStream concurrentRequests() {
        return edgesAndSeeded(2, 64, 1, 3);
    }

    @ParameterizedTest(name = "maxConcurrentRequests {0}")
    @MethodSource("concurrentRequests")
    @DisplayName("spec 47, 56: maxConcurrentRequests: that many run over several connections; one more gets"
            + " FCGI_OVERLOADED")
    void maxConcurrentRequests(int limit) throws Exception {
        Gate gate = new Gate();
        try (ServerFixture fixture = new ServerFixture(gate, b -> b.maxConcurrentRequests(limit));
             RawFcgiConnection first = fixture.connect(); RawFcgiConnection second = fixture.connect();
             RawFcgiConnection third = fixture.connect()) {
            for (int i = 0; i < limit; i++) {
                (i % 2 == 0 ? first : second).request(i / 2 + 1, true, Map.of(), new byte[0]);
            }
            gate.awaitRunning(limit);
            assertEquals(limit, fixture.server.activeRequestCount());
            third.request(1, true, Map.of(), new byte[0]);
            Response refused = third.readResponse(1);
            assertEquals(2, refused.end().protocolStatus(), "FCGI_OVERLOADED");
            gate.release.countDown();
            int[] firstIds = IntStream.rangeClosed(1, (limit + 1) / 2).toArray();
            first.readResponses(firstIds).values().forEach(r -> assertEquals("released", r.body()));
            if (limit > 1) {
                int[] secondIds = IntStream.rangeClosed(1, limit / 2).toArray();
                second.readResponses(secondIds).values().forEach(r -> assertEquals("released", r.body()));
            }
            third.request(2, true, Map.of(), new byte[0]);
            assertEquals("released", third.readResponse(2).body(), "accepted again once requests ended");
        }
    }

    @ParameterizedTest(name = "responseBufferSize {0}")
    @ValueSource(ints = {256, 4096, 32 * 1024})
    @DisplayName("responseBufferSize: a body of exactly that size goes out as one STDOUT record, one byte more as two")
    void responseBufferSize(int size) throws Exception {
        FcgiHandler handler = (request, response) ->
                response.body().write(new byte[Integer.parseInt(request.param("SIZE"))]);
        try (ServerFixture fixture = new ServerFixture(handler, b -> b.responseBufferSize(size));
             RawFcgiConnection conn = fixture.connect()) {
            conn.request(1, true, Map.of("SIZE", Integer.toString(size)), new byte[0]);
            assertEquals(1, stdoutRecords(conn.readResponse(1)));
            conn.request(2, true, Map.of("SIZE", Integer.toString(size + 1)), new byte[0]);
            Response over = conn.readResponse(2);
            assertEquals(2, stdoutRecords(over));
            assertEquals(size + 1, over.body().length());
        }
    }

    private static long stdoutRecords(Response response) {
        return response.records().stream().filter(r -> r.type() == STDOUT && r.content().length > 0).count();
    }

    // ---- timeouts: activity within them goes on however long it lasts in all; past them, the reaction

    @Test
    @DisplayName("spec 57: headerTimeout: params in two records within it are served; params never ended get"
            + " END_REQUEST (appStatus 1) and the connection is closed")
    void headerTimeout() throws Exception {
        try (ServerFixture fixture = new ServerFixture(HELLO, b -> b.headerTimeout(Duration.ofMillis(600)));
             RawFcgiConnection conn = fixture.connect()) {
            byte[] pairs = pairs(Map.of("A", "b", "C", "d"));
            conn.begin(1, 1, true).stream(PARAMS, 1, java.util.Arrays.copyOf(pairs, 3));
            Thread.sleep(150);                                  // the web server's pace, within the timeout
            conn.stream(PARAMS, 1, java.util.Arrays.copyOfRange(pairs, 3, pairs.length))
                    .send(PARAMS, 1, new byte[0]).stdin(1, new byte[0]);
            assertEquals("hi", conn.readResponse(1).body());
            conn.begin(2, 1, true).stream(PARAMS, 2, pairs);
            Record end = conn.readRecord();
            assertEquals(END_REQUEST, end.type(), "ended without any STDOUT");
            assertEquals(1, end.appStatus());
            assertTrue(conn.awaitClosed());
        }
    }

    @ParameterizedTest(name = "handler on the event loop: {0}")
    @ValueSource(booleans = {false, true})
    @DisplayName("spec 57: bodyReadTimeout counts the wait for each piece, not the whole body (the stalled body: "
            + "ServerSlowlorisTest)")
    void bodyReadTimeout(boolean onEventLoop) throws Exception {
        try (ServerFixture fixture = new ServerFixture(ECHO, b -> b.bodyReadTimeout(Duration.ofMillis(600))
                .handlerOnEventLoop(onEventLoop)); RawFcgiConnection conn = fixture.connect()) {
            conn.begin(1, 1, true).params(1, Map.of());
            for (int i = 0; i < 6; i++) {
                conn.stream(STDIN, 1, "piece".getBytes(UTF_8));
                Thread.sleep(150);                              // 900 ms in all, 150 ms apart
            }
            conn.send(STDIN, 1, new byte[0]);
            assertEquals("piece".repeat(6), conn.readResponse(1).body());
        }
    }

    @Test
    @DisplayName("idleTimeout: requests 150 ms apart keep a connection past it; a silent one is closed")
    void idleTimeout() throws Exception {
        try (ServerFixture fixture = new ServerFixture(HELLO, b -> b.idleTimeout(Duration.ofMillis(600)));
             RawFcgiConnection busy = fixture.connect(); RawFcgiConnection silent = fixture.connect()) {
            for (int id = 1; id <= 6; id++) {
                busy.request(id, true, Map.of(), new byte[0]);
                assertEquals("hi", busy.readResponse(id).body());
                Thread.sleep(150);                              // 900 ms in all
            }
            assertTrue(silent.awaitClosed());
            busy.request(7, true, Map.of(), new byte[0]);
            assertEquals("hi", busy.readResponse(7).body(), "the busy connection is still open");
        }
    }

    @Test
    @DisplayName("spec 41: lingerTimeout: without keep-conn, the rest of a body sent within it is read before the close;"
            + " a body that never ends is closed after it")
    void lingerTimeout() throws Exception {
        try (ServerFixture fixture = new ServerFixture(HELLO, b -> b.lingerTimeout(Duration.ofMillis(600)))) {
            try (RawFcgiConnection conn = fixture.connect()) {
                conn.begin(1, 1, false).params(1, Map.of());
                assertEquals("hi", conn.readResponse(1).body());
                conn.stream(STDIN, 1, new byte[1_000_000]).send(STDIN, 1, new byte[0]);
                assertTrue(conn.awaitClosed(), "closed once the body ended, with nothing unread (no reset)");
            }
            try (RawFcgiConnection conn = fixture.connect()) {
                conn.begin(1, 1, false).params(1, Map.of()).stream(STDIN, 1, new byte[1000]);
                assertEquals("hi", conn.readResponse(1).body());
                assertTrue(conn.awaitClosed(), "closed after the linger timeout");
            }
        }
    }

    @Test
    @DisplayName("writeTimeout: a web server that reads slowly, but within it, gets the whole response (the one that"
            + " stops: ServerSlowlorisTest)")
    void writeTimeout() throws Exception {
        int size = 4 << 20;
        FcgiHandler handler = (request, response) -> {
            byte[] chunk = new byte[16 * 1024];
            for (int written = 0; written < size; written += chunk.length) {
                response.body().write(chunk);
            }
        };
        try (ServerFixture fixture = new ServerFixture(handler, b -> b.writeTimeout(Duration.ofMillis(600)));
             RawFcgiConnection conn = fixture.connect()) {
            conn.request(1, true, Map.of(), new byte[0]);
            long body = 0;
            for (Record record; (record = conn.readRecord()).type() != END_REQUEST; ) {
                body += record.content().length;
                if (body % (512 * 1024) < record.content().length) {
                    Thread.sleep(100);                          // a slow reader, within the timeout
                }
            }
            assertTrue(body > size, "the whole response: " + body);
        }
    }
}
