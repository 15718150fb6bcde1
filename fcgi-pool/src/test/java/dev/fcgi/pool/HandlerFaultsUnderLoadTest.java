package dev.fcgi.pool;

import dev.fcgi.protocol.client.FcgiClient;
import dev.fcgi.protocol.client.FcgiClientRequest;
import dev.fcgi.protocol.client.FcgiClientResponse;
import dev.fcgi.protocol.client.Multiplexing;
import dev.fcgi.protocol.server.FcgiHandler;
import dev.fcgi.protocol.server.FcgiRequest;
import dev.fcgi.protocol.server.FcgiResponse;
import dev.fcgi.protocol.server.FcgiServer;
import dev.fcgi.protocol.testing.Await;
import dev.fcgi.protocol.testing.ClientLoad;
import dev.fcgi.protocol.testing.LiveMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Faults in in-JVM handlers while a well-behaved load runs beside them ({@link ClientLoad}: four {@link FcgiClient}
 * callers over kept connections, every answer checked): handlers that throw, run out of memory, allocate tens of
 * MiB at once, block until the slowlog and terminate timeouts, ignore interruption past the terminate timeout, or
 * never read their body. After each fault the pool is back to its configured shape ({@link PoolShape}) and the
 * counters add up: the pool's accepted requests, the listener's completed requests by status, the slowlog and
 * terminate counts, and the server's requests in progress.
 *
 * <p>Time is a fake ticker: the load runs in real time while the pool's clock stands still, and the test moves the
 * clock past a timeout only once no well-behaved request that started before the move still runs (see
 * {@link #advance}), so that only the faulty requests ever look slow.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class HandlerFaultsUnderLoadTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final long CALL_SECONDS = ClientLoad.CALL_TIMEOUT.toSeconds();
    private static final Duration LOAD_DEADLINE = Duration.ofSeconds(100);
    private static final int CLIENTS = 4;
    private static final int MAX_PER_CLIENT = 5_000;
    private static final int STEP = 40;     // answers of the load between two steps of a test
    private static final String FAULT_PREFIX = "/fault-";

    @TempDir
    Path spool;
    private final AtomicLong now = new AtomicLong();
    private final PoolEvents events = new PoolEvents();
    private final FaultHandler handler = new FaultHandler();
    private FcgiPool pool;
    private FcgiServer server;
    private FcgiClient client;

    @AfterEach
    void close() {
        handler.release.countDown();
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
        if (pool != null) {
            pool.shutdownNow();
        }
    }

    private void start(PoolStrategy strategy, UnaryOperator<FcgiPool.Builder> settings) throws Exception {
        pool = settings.apply(FcgiPool.builder("www").strategy(strategy).handler(handler).listener(events)
                .ticker(now::get).heartbeat(Duration.ofHours(1))).build().start();
        server = FcgiServer.builder().listen("127.0.0.1:0").handler(pool.handler()).dispatcher(pool)
                .spoolDirectory(spool).build().start();
        client = FcgiClient.builder().address(server.localAddress()).maxConnections(32)
                .multiplexing(Multiplexing.OFF).build();
    }

    private ClientLoad load() {
        return new ClientLoad(CLIENTS, MAX_PER_CLIENT, LOAD_DEADLINE, id -> {
            try (FcgiClientResponse response = send(id, null).get(CALL_SECONDS, TimeUnit.SECONDS)) {
                return expect(response, 200, "ok " + id);
            }
        }).start();
    }

    /** A GET of {@code /ok.php}, or of {@code /fault-<fault>.php}, whose handler applies that fault. */
    private static FcgiClientRequest request(String id, String fault) {
        return FcgiClientRequest.builder()
                .cgi("GET", fault == null ? "/srv/ok.php" : "/srv" + FAULT_PREFIX + fault + ".php", "id=" + id)
                .param("ID", id).build();
    }

    private CompletableFuture<FcgiClientResponse> send(String id, String fault) {
        return client.send(request(id, fault));
    }

    /** {@code null} when {@code response} has this status and body, else what it has. */
    private static String expect(FcgiClientResponse response, int status, String body) throws Exception {
        String text = response.bodyAsString();
        return response.status() == status && text.equals(body) ? null
                : "expected " + status + " '" + body + "', got " + response.status() + " '" + text + "'";
    }

    private static void assertAnswer(CompletableFuture<FcgiClientResponse> future, int status, String body)
            throws Exception {
        try (FcgiClientResponse response = future.get(WAIT.toSeconds(), TimeUnit.SECONDS)) {
            assertEquals(null, expect(response, status, body));
        }
    }

    /** What must hold after every fault, besides the test's own checks. */
    private void assertCountersAddUp(ClientLoad load, int faulty, Map<Integer, Integer> completed) {
        PoolStatus status = pool.status();
        assertEquals(load.sent() + faulty, status.acceptedConn(), () -> "accepted conn: " + status + "; " + load);
        assertEquals(completed, events.completed(), () -> "requests completed by status: " + events);
        assertEquals(0, status.rejected(), status::toString);
        Await.until(WAIT, () -> server.activeRequestCount() == 0,
                () -> "no request in progress on the server: " + server.activeRequestCount());
    }

    // ---- a handler that throws

    @Test
    @DisplayName("handlers that throw: each answers 500, the workers stay, the load is unharmed")
    void throwingHandlers() throws Exception {
        start(PoolShape.STATIC.strategy(), b -> b);
        ClientLoad load = load();
        load.awaitAnswered(0, STEP, WAIT);
        int faults = 20;
        for (int wave = 0; wave < 4; wave++) {
            List<CompletableFuture<FcgiClientResponse>> thrown = new ArrayList<>();
            for (int i = 0; i < faults / 4; i++) {
                thrown.add(send("t" + wave + "-" + i, "throw"));
            }
            for (CompletableFuture<FcgiClientResponse> answer : thrown) {
                assertAnswer(answer, 500, "500 Internal Server Error\n");
            }
            load.awaitAnswered(load.answered(), STEP, WAIT);
        }
        load.stop();

        PoolShape.STATIC.settle(pool, now);
        assertCountersAddUp(load, faults, Map.of(200, load.sent(), 500, faults));
        assertEquals(4, events.started(), () -> "no worker was replaced: " + events);
        assertEquals(List.of(), events.exited());
        assertEquals(load.sent() + faults, pool.snapshot().workers().stream().mapToLong(WorkerView::requests).sum(),
                "the scoreboard's requests per worker add up to the accepted requests");
    }

    // ---- a handler that runs out of memory

    @ParameterizedTest(name = "{0}")
    @EnumSource(PoolShape.class)
    @DisplayName("OutOfMemoryError in a handler: 500, that worker is replaced, the pool and the load survive")
    void outOfMemoryInAHandler(PoolShape shape) throws Exception {
        long heapBefore = LiveMemory.heapAfterGc();
        start(shape.strategy(), b -> b);
        ClientLoad load = load();
        load.awaitAnswered(0, STEP, WAIT);
        int faults = 3;
        for (int i = 0; i < faults; i++) {
            // more than the whole heap in one array: the JVM throws at once, after a collection, and nothing
            // else in the JVM is starved, as it would be by a handler that filled the heap bit by bit
            assertAnswer(send("oom-" + i, "oom"), 500, "500 Internal Server Error\n");
            load.awaitAnswered(load.answered(), STEP, WAIT);
        }
        load.stop();

        shape.settle(pool, now);
        assertCountersAddUp(load, faults, Map.of(200, load.sent(), 500, faults));
        List<String> crashes = events.exited().stream().filter(e -> e.startsWith("failure: ")).toList();
        assertEquals(Collections.nCopies(faults,
                        "failure: after a fatal error in its handler (java.lang.OutOfMemoryError: Java heap space)"),
                crashes, events::toString);
        if (shape == PoolShape.STATIC) {
            assertEquals(4 + faults, events.started(), () -> "each crashed worker was replaced: " + events);
        }
        long heapAfter = LiveMemory.heapAfterGc();
        System.out.printf("HandlerFaultsUnderLoadTest[OOM, %s]: %d requests of the load, %d OutOfMemoryErrors; "
                        + "heap after GC before %d MiB, after %d MiB%n", shape, load.sent(), faults, heapBefore >> 20,
                heapAfter >> 20);
        assertTrue(heapAfter - heapBefore < 32 << 20, "heap after GC grew by " + ((heapAfter - heapBefore) >> 20)
                + " MiB");
    }

    // ---- handlers that allocate a lot

    @Test
    @DisplayName("three handlers holding 64 MiB each at once, three times: all answer, the heap comes back")
    void largeAllocationsAtOnce() throws Exception {
        long heapBefore = LiveMemory.heapAfterGc();
        start(PoolShape.STATIC.strategy(), b -> b);
        ClientLoad load = load();
        load.awaitAnswered(0, STEP, WAIT);
        int waves = 3;
        for (int wave = 0; wave < waves; wave++) {
            List<CompletableFuture<FcgiClientResponse>> allocations = new ArrayList<>();
            for (int i = 0; i < FaultHandler.ALLOCATORS; i++) {
                allocations.add(send("a" + wave + "-" + i, "allocate"));
            }
            for (int i = 0; i < allocations.size(); i++) {
                assertAnswer(allocations.get(i), 200, "allocated " + FaultHandler.ALLOCATION_MIB + " MiB for a"
                        + wave + "-" + i + ": " + FaultHandler.expectedSum("a" + wave + "-" + i));
            }
            load.awaitAnswered(load.answered(), STEP, WAIT);
        }
        load.stop();

        PoolShape.STATIC.settle(pool, now);
        int faults = waves * FaultHandler.ALLOCATORS;
        assertCountersAddUp(load, faults, Map.of(200, load.sent() + faults));
        long heapAfter = LiveMemory.heapAfterGc();
        List<Long> held = List.copyOf(handler.liveHeapWhileHeld);
        System.out.printf("HandlerFaultsUnderLoadTest[allocate]: %d requests of the load; heap after GC before %d "
                        + "MiB, while %d x %d MiB were held %s MiB, after %d MiB%n", load.sent(), heapBefore >> 20,
                FaultHandler.ALLOCATORS, FaultHandler.ALLOCATION_MIB, held.stream().map(b -> b >> 20).toList(),
                heapAfter >> 20);
        assertEquals(waves, held.size());
        long allocated = (long) FaultHandler.ALLOCATORS * FaultHandler.ALLOCATION_MIB << 20;
        for (long live : held) {
            assertTrue(live >= allocated, "the allocations were live at once: " + (live >> 20) + " MiB");
        }
        assertTrue(heapAfter - heapBefore < 32 << 20, "heap after GC grew by " + ((heapAfter - heapBefore) >> 20)
                + " MiB");
    }

    // ---- handlers that block: slowlog, terminate timeout, a handler that ignores interruption

    @ParameterizedTest(name = "{0}")
    @EnumSource(PoolShape.class)
    @DisplayName("blocked handlers: slowlogged, terminated with 504; one that ignores interrupts is abandoned and"
            + " replaced")
    void blockedHandlersPastTheTimeouts(PoolShape shape) throws Exception {
        Duration slowlog = Duration.ofSeconds(2);
        Duration terminate = Duration.ofSeconds(5);
        Duration grace = Duration.ofSeconds(1);
        start(shape.strategy(), b -> b.requestSlowlogTimeout(slowlog).requestTerminateTimeout(terminate)
                .requestTerminateGrace(grace));
        ClientLoad load = load();
        load.awaitAnswered(0, STEP, WAIT);
        CompletableFuture<FcgiClientResponse> block1 = send("b1", "block");
        CompletableFuture<FcgiClientResponse> block2 = send("b2", "block");
        CompletableFuture<FcgiClientResponse> stuck = send("s1", "stuck");
        Await.until(WAIT, () -> handler.blocked.get() == 3, "the three faulty handlers run");
        load.awaitAnswered(load.answered(), STEP, WAIT);       // the load goes on beside them

        advance(slowlog);
        pool.runWatchdog();
        assertEquals(3, pool.status().slowRequests(), () -> "slow requests: " + pool.status());
        load.awaitAnswered(load.answered(), STEP, WAIT);

        advance(terminate.minus(slowlog));
        pool.runWatchdog();
        String terminated = "504 Gateway Timeout: request_terminate_timeout: the request ran for 5.000000 s\n";
        assertAnswer(block1, 504, terminated);
        assertAnswer(block2, 504, terminated);
        assertAnswer(stuck, 504, terminated);
        Await.until(WAIT, () -> handler.interrupted.get() == 2, "the interruptible handlers stopped");
        assertEquals(3, events.terminated());
        load.awaitAnswered(load.answered(), STEP, WAIT);

        advance(grace);
        pool.runWatchdog();
        Await.until(WAIT, () -> pool.snapshot().workers().stream().noneMatch(HandlerFaultsUnderLoadTest::isFault),
                () -> "the stuck worker left the pool: " + pool.snapshot());
        load.awaitAnswered(load.answered(), STEP, WAIT);
        load.stop();

        handler.release.countDown();
        Await.until(WAIT, () -> handler.stuckReturned.getCount() == 0, "the stuck handler returned once released");
        shape.settle(pool, now);
        Await.until(WAIT, () -> events.completedCount() == load.sent() + 3,
                () -> "the abandoned worker's request completed: " + events);
        assertCountersAddUp(load, 3, Map.of(200, load.sent(), 504, 3));
        assertEquals(3, pool.status().slowRequests());
        assertEquals(3, events.slow());
        Await.until(WAIT, () -> events.exited().contains("abandoned after request_terminate_timeout"),
                () -> "the abandoned worker's thread ended: " + events);
        if (shape == PoolShape.STATIC) {
            assertEquals(5, events.started(), () -> "one replacement, for the abandoned worker: " + events);
        }
    }

    private static boolean isFault(WorkerView worker) {
        return worker.request() != null && worker.request().uri() != null
                && worker.request().uri().startsWith(FAULT_PREFIX) && worker.requestStartNanos() >= 0;
    }

    /**
     * Moves the pool's clock forward by {@code step}, in a way that makes no well-behaved request look slow: first
     * to 1 ns short of it, then, once every well-behaved request that took its worker before that has finished,
     * the last nanosecond. The requests running then started at most 1 ns ago.
     */
    private void advance(Duration step) {
        long mark = now.addAndGet(step.toNanos() - 1);
        Await.until(WAIT, () -> pool.snapshot().workers().stream().noneMatch(w -> !isFault(w)
                        && w.requestStartNanos() >= 0 && w.requestStartNanos() < mark),
                () -> "the well-behaved requests older than the clock's move finished: " + pool.snapshot());
        now.incrementAndGet();
    }

    // ---- a handler that never reads its body

    @Test
    @DisplayName("handlers that never read a 1 MiB body: answered, the body is dropped, no spool file is left")
    void unreadBodies() throws Exception {
        start(PoolShape.STATIC.strategy(), b -> b);
        ClientLoad load = load();
        load.awaitAnswered(0, STEP, WAIT);
        byte[] body = new byte[1 << 20];          // over the 256 KiB kept in memory: it spools to a file
        new Random(1).nextBytes(body);
        int faults = 24;
        for (int wave = 0; wave < 4; wave++) {
            List<CompletableFuture<FcgiClientResponse>> posts = new ArrayList<>();
            for (int i = 0; i < faults / 4; i++) {
                String id = "u" + wave + "-" + i;
                posts.add(client.send(FcgiClientRequest.builder().cgi("POST", "/srv" + FAULT_PREFIX + "ignore.php", "")
                        .param("ID", id).body(body).build()));
            }
            for (int i = 0; i < posts.size(); i++) {
                assertAnswer(posts.get(i), 200, "ignored u" + wave + "-" + i);
            }
            load.awaitAnswered(load.answered(), STEP, WAIT);
        }
        load.stop();

        PoolShape.STATIC.settle(pool, now);
        assertCountersAddUp(load, faults, Map.of(200, load.sent() + faults));
        Await.until(WAIT, () -> spoolFiles().isEmpty(), () -> "spool files left: " + spoolFiles());
    }

    private List<Path> spoolFiles() {
        try (Stream<Path> files = Files.list(spool)) {
            return files.toList();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * Answers {@code ok <ID>}, or applies the fault named by the script: {@code throw}, {@code oom} (one array
     * larger than the heap), {@code allocate} ({@value #ALLOCATION_MIB} MiB, held until {@value #ALLOCATORS}
     * requests hold theirs), {@code block} (waits until interrupted), {@code stuck} (ignores interrupts until the
     * test releases it) or {@code ignore} (answers without reading its body).
     */
    private static final class FaultHandler implements FcgiHandler {
        static final int ALLOCATORS = 3;
        static final int ALLOCATION_MIB = 64;
        private static final int CHUNK = 256 * 1024;

        final AtomicInteger blocked = new AtomicInteger();
        final AtomicInteger interrupted = new AtomicInteger();
        final CountDownLatch release = new CountDownLatch(1);
        final CountDownLatch stuckReturned = new CountDownLatch(1);
        final List<Long> liveHeapWhileHeld = Collections.synchronizedList(new ArrayList<>());
        private final CyclicBarrier allHold = new CyclicBarrier(ALLOCATORS,
                () -> liveHeapWhileHeld.add(LiveMemory.heapAfterGc()));

        @Override
        public void handle(FcgiRequest request, FcgiResponse response) throws Exception {
            String id = request.param("ID");
            String script = request.scriptName();
            String fault = script.startsWith(FAULT_PREFIX)
                    ? script.substring(FAULT_PREFIX.length(), script.length() - ".php".length()) : "none";
            String answer = switch (fault) {
                case "none" -> "ok " + id;
                case "throw" -> throw new IllegalStateException("fault injected into " + id);
                case "oom" -> "not reached: " + new long[(int) Math.min(Integer.MAX_VALUE - 16,
                        Runtime.getRuntime().maxMemory() / Long.BYTES + (1 << 20))].length;
                case "allocate" -> "allocated " + ALLOCATION_MIB + " MiB for " + id + ": " + allocate(id);
                case "block" -> {
                    blocked.incrementAndGet();
                    try {
                        new CountDownLatch(1).await();      // until the terminate timeout interrupts it
                    } catch (InterruptedException e) {
                        interrupted.incrementAndGet();
                        throw e;
                    }
                    yield "not reached";
                }
                case "stuck" -> {
                    blocked.incrementAndGet();
                    try {
                        while (release.getCount() > 0) {
                            try {
                                release.await();
                            } catch (InterruptedException e) {
                                // swallowed: this handler does not stop when told to
                            }
                        }
                    } finally {
                        stuckReturned.countDown();
                    }
                    yield "released";
                }
                case "ignore" -> "ignored " + id;
                default -> throw new IllegalArgumentException(fault);
            };
            response.body().write(answer.getBytes(UTF_8));
        }

        /**
         * Fills {@value #ALLOCATION_MIB} MiB in arrays of 256 KiB (G1 would give a 1 MiB array two regions of its
         * 1 MiB heap regions), holds them until the others hold theirs, and sums them.
         */
        private long allocate(String id) throws Exception {
            byte[][] arrays = new byte[ALLOCATION_MIB * 4][];
            for (int i = 0; i < arrays.length; i++) {
                arrays[i] = new byte[CHUNK];
                java.util.Arrays.fill(arrays[i], (byte) (id.hashCode() + i));
            }
            allHold.await(WAIT.toSeconds(), TimeUnit.SECONDS);
            long sum = 0;
            for (byte[] array : arrays) {
                for (byte b : array) {
                    sum += b;
                }
            }
            return sum;
        }

        static long expectedSum(String id) {
            long sum = 0;
            for (int i = 0; i < ALLOCATION_MIB * 4; i++) {
                sum += (long) (byte) (id.hashCode() + i) * CHUNK;
            }
            return sum;
        }
    }
}
