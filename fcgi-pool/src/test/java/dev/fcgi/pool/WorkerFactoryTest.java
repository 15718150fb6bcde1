package dev.fcgi.pool;

import dev.fcgi.protocol.server.FcgiHandler;
import dev.fcgi.protocol.server.FcgiServer;
import dev.fcgi.protocol.testing.Await;
import dev.fcgi.protocol.testing.RawFcgiConnection;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The worker SPI: a {@link WorkerFactory} whose workers fail to start, die on their own, or report themselves
 * dead, as child processes do; and the {@link PoolListener} events the pool sends meanwhile.
 */
class WorkerFactoryTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private final List<AutoCloseable> closeables = new CopyOnWriteArrayList<>();
    private final List<String> events = new CopyOnWriteArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
    }

    private final PoolListener recorder = new PoolListener() {
        @Override
        public void workerStarted(String pool, long workerId, long pid) {
            events.add("started " + workerId + " pid " + pid);
        }

        @Override
        public void workerStartFailed(String pool, long workerId, Throwable cause) {
            events.add("start failed " + workerId + ": " + cause.getMessage());
        }

        @Override
        public void workerExited(String pool, long workerId, String description, boolean failure) {
            events.add("exited " + workerId + (failure ? " failure: " : ": ") + description);
        }

        @Override
        public void requestCompleted(String pool, long workerId, long queueWaitNanos, long durationNanos,
                                     int status) {
            events.add("completed on " + workerId + " status " + status);
        }
    };

    private static FcgiHandler text(String body) {
        return (request, response) -> response.body().write(body.getBytes(UTF_8));
    }

    /** A fake child process: a pid, a liveness flag, and what the pool asked of it. */
    private static final class FakeChild implements PoolWorker {
        final long pid;
        final AtomicBoolean alive = new AtomicBoolean(true);
        final AtomicInteger terminated = new AtomicInteger();
        final AtomicInteger killed = new AtomicInteger();
        final AtomicInteger closed = new AtomicInteger();
        final FcgiHandler handler;

        FakeChild(long pid, FcgiHandler handler) {
            this.pid = pid;
            this.handler = handler;
        }

        @Override
        public FcgiHandler handler() {
            return handler;
        }

        @Override
        public long pid() {
            return pid;
        }

        @Override
        public boolean isAlive() {
            return alive.get();
        }

        @Override
        public void terminate() {
            terminated.incrementAndGet();
        }

        @Override
        public void kill() {
            killed.incrementAndGet();
        }

        @Override
        public boolean hasJavaStack() {
            return false;
        }

        @Override
        public void close() {
            closed.incrementAndGet();
        }
    }

    private FcgiPool started(FcgiPool.Builder builder) {
        FcgiPool pool = builder.listener(recorder).build().start();
        closeables.add(pool);
        return pool;
    }

    private RawFcgiConnection connect(FcgiPool pool) throws IOException {
        FcgiServer server = FcgiServer.builder().listen("127.0.0.1:0").handler(pool.handler()).dispatcher(pool)
                .build().start();
        closeables.add(0, server);
        RawFcgiConnection conn = RawFcgiConnection.connect(server.localAddress());
        closeables.add(0, conn);
        return conn;
    }

    @Test
    @DisplayName("a worker that fails to start is retried after a back-off; requests wait and are then served")
    void failedStartsBackOff() throws Exception {
        AtomicInteger attempts = new AtomicInteger();
        FcgiPool pool = started(FcgiPool.builder("www").strategy(StaticStrategy.of(1))
                .workers(slot -> {
                    if (attempts.incrementAndGet() <= 2) {
                        throw new IOException("child " + slot.id() + " did not start accepting");
                    }
                    return new FakeChild(1000 + slot.id(), text("child " + slot.id()));
                }));
        assertEquals(0, pool.status().totalProcesses(), "the first start failed");
        RawFcgiConnection conn = connect(pool);
        conn.request(1, true, Map.of(), new byte[0]);
        RawFcgiConnection.Response response = conn.readResponse(1);
        assertEquals("child 3", response.body(), "the third attempt started, after two back-offs");
        assertEquals(3, attempts.get());
        assertEquals(List.of("start failed 1: child 1 did not start accepting",
                "start failed 2: child 2 did not start accepting", "started 3 pid 1003", "completed on 3 status 200"),
                events);
        assertEquals(1003, pool.snapshot().workers().get(0).pid(), "the status page shows the child's pid");
    }

    @Test
    @DisplayName("a worker that dies while idle leaves the pool, is closed, and a new one replaces it")
    void idleWorkerDies() {
        List<FakeChild> children = new CopyOnWriteArrayList<>();
        FcgiPool pool = started(FcgiPool.builder("www").strategy(StaticStrategy.of(1)).workers(slot -> {
            FakeChild child = new FakeChild(2000 + slot.id(), text("ok"));
            children.add(child);
            if (slot.id() == 1) {
                Thread.ofVirtual().start(() -> slot.exited("on signal 9 (SIGKILL)", true));
            }
            return child;
        }));
        Await.until(WAIT, () -> children.size() == 2 && pool.status().idleProcesses() == 1,
                () -> "a second worker replaced the first: " + events);
        assertTrue(events.contains("exited 1 failure: on signal 9 (SIGKILL)"), events::toString);
        Await.until(WAIT, () -> children.get(0).closed.get() == 1, "the dead worker was closed");
        assertEquals(2, pool.snapshot().workers().get(0).id());
    }

    @Test
    @DisplayName("a worker that is found dead after its request leaves the pool; the request was answered")
    void workerDeadAfterRequest() throws Exception {
        List<FakeChild> children = new CopyOnWriteArrayList<>();
        FcgiPool pool = started(FcgiPool.builder("www").strategy(StaticStrategy.of(1)).workers(slot -> {
            AtomicLong self = new AtomicLong(slot.id());
            FakeChild[] holder = new FakeChild[1];
            holder[0] = new FakeChild(3000 + slot.id(), (request, response) -> {
                response.body().write(("child " + self.get()).getBytes(UTF_8));
                holder[0].alive.set(false);       // it exits with its answer
            });
            children.add(holder[0]);
            return holder[0];
        }));
        RawFcgiConnection conn = connect(pool);
        conn.request(1, true, Map.of(), new byte[0]);
        assertEquals("child 1", conn.readResponse(1).body());
        Await.until(WAIT, () -> pool.status().idleProcesses() == 1 && children.size() == 2,
                () -> "replaced: " + events);
        conn.request(2, true, Map.of(), new byte[0]);
        assertEquals("child 2", conn.readResponse(2).body());
        assertTrue(events.contains("exited 1 failure: while it served a request"), events::toString);
    }

    @Test
    @DisplayName("a fatal JVM error in a handler answers 500 and replaces the worker's handler instance")
    void fatalErrorReplacesWorker() throws Exception {
        AtomicInteger instances = new AtomicInteger();
        FcgiPool pool = started(FcgiPool.builder("www").strategy(StaticStrategy.of(1)).handler(() -> {
            int instance = instances.incrementAndGet();
            return (request, response) -> {
                if (request.param("OVERFLOW") != null) {
                    throw new StackOverflowError("deliberate");
                }
                response.body().write(("instance " + instance).getBytes(UTF_8));
            };
        }));
        RawFcgiConnection conn = connect(pool);
        conn.request(1, true, Map.of("OVERFLOW", "1"), new byte[0]);
        assertEquals(500, conn.readResponse(1).status());
        Await.until(WAIT, () -> instances.get() == 2 && pool.status().idleProcesses() == 1, "replaced");
        conn.request(2, true, Map.of(), new byte[0]);
        assertEquals("instance 2", conn.readResponse(2).body());
        assertTrue(events.stream().anyMatch(e -> e.startsWith("exited 1 failure: after a fatal error in its handler")),
                events::toString);
    }

    @Test
    @DisplayName("request_terminate_timeout asks the worker to terminate, then kills it after the grace")
    void terminateThenKill() throws Exception {
        AtomicLong now = new AtomicLong();
        CountDownLatch entered = new CountDownLatch(1);
        AtomicBoolean stuck = new AtomicBoolean(true);
        List<FakeChild> children = new CopyOnWriteArrayList<>();
        FcgiPool pool = started(FcgiPool.builder("www").strategy(StaticStrategy.of(1)).ticker(now::get)
                .heartbeat(Duration.ofHours(1)).requestTerminateTimeout(Duration.ofSeconds(3))
                .requestTerminateGrace(Duration.ofSeconds(2))
                .workers(slot -> {
                    FakeChild child = new FakeChild(4000 + slot.id(), (request, response) -> {
                        if (request.param("STUCK") != null) {
                            entered.countDown();
                            while (stuck.get()) {
                                Thread.onSpinWait();
                            }
                        }
                        response.body().write("ok".getBytes(UTF_8));
                    });
                    children.add(child);
                    return child;
                }));
        try {
            RawFcgiConnection conn = connect(pool);
            conn.request(1, true, Map.of("STUCK", "1"), new byte[0]);
            assertTrue(entered.await(20, TimeUnit.SECONDS));
            now.addAndGet(TimeUnit.SECONDS.toNanos(3));
            pool.runWatchdog();
            assertEquals(504, conn.readResponse(1).status());
            FakeChild first = children.get(0);
            assertEquals(1, first.terminated.get(), "SIGTERM for a child");
            assertEquals(0, first.killed.get());
            now.addAndGet(TimeUnit.SECONDS.toNanos(2));
            pool.runWatchdog();
            assertEquals(1, first.killed.get(), "SIGKILL after the grace");
            Await.until(WAIT, () -> pool.status().idleProcesses() == 1, "a new worker replaced it");
            conn.request(2, true, Map.of(), new byte[0]);
            assertEquals("ok", conn.readResponse(2).body());
        } finally {
            stuck.set(false);
        }
    }

    @Test
    @DisplayName("finish(): the worker shows Finishing until the handler returns; the terminate timeout spares it "
            + "unless request_terminate_timeout_track_finished")
    void finishingState() throws Exception {
        for (boolean track : new boolean[]{false, true}) {
            AtomicLong now = new AtomicLong();
            CountDownLatch finished = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            FcgiPool pool = started(FcgiPool.builder("www").strategy(StaticStrategy.of(1)).ticker(now::get)
                    .heartbeat(Duration.ofHours(1)).requestTerminateTimeout(Duration.ofSeconds(2))
                    .requestTerminateTimeoutTrackFinished(track)
                    .handler((request, response) -> {
                        response.body().write("done".getBytes(UTF_8));
                        response.finish();
                        finished.countDown();
                        release.await(30, TimeUnit.SECONDS);    // work after the answer went out
                    }));
            RawFcgiConnection conn = connect(pool);
            conn.request(1, true, Map.of(), new byte[0]);
            assertEquals("done", conn.readResponse(1).body(), "the answer came before the handler returned");
            assertTrue(finished.await(20, TimeUnit.SECONDS));
            assertEquals(WorkerState.FINISHING, pool.snapshot().workers().get(0).state());
            now.addAndGet(TimeUnit.SECONDS.toNanos(2));
            pool.runWatchdog();
            if (track) {
                Await.until(WAIT, () -> pool.snapshot().workers().get(0).isIdle(),
                        "the terminate timeout interrupted the finishing handler");
            } else {
                assertEquals(WorkerState.FINISHING, pool.snapshot().workers().get(0).state(),
                        "not terminated without track_finished");
                release.countDown();
                Await.until(WAIT, () -> pool.snapshot().workers().get(0).isIdle(), "idle after the handler returned");
            }
        }
    }

    @Test
    @DisplayName("security.limit_extensions: other scripts get FPM's 403 Access denied.")
    void limitExtensions() throws Exception {
        FcgiPool pool = started(FcgiPool.builder("www").strategy(StaticStrategy.of(1))
                .limitExtensions(List.of(".php", ".phar")).handler(text("ran")));
        RawFcgiConnection conn = connect(pool);
        conn.request(1, true, Map.of("SCRIPT_FILENAME", "/srv/index.php"), new byte[0]);
        assertEquals("ran", conn.readResponse(1).body());
        conn.request(2, true, Map.of("SCRIPT_FILENAME", "/srv/upload/evil.jpg"), new byte[0]);
        RawFcgiConnection.Response denied = conn.readResponse(2);
        assertEquals(403, denied.status());
        assertEquals("Access denied.\n", denied.body());
        conn.request(3, true, Map.of(), new byte[0]);
        assertEquals("ran", conn.readResponse(3).body(), "no SCRIPT_FILENAME, nothing to check");
    }

    @Test
    @DisplayName("PoolConfig: in-JVM pools apply security.limit_extensions only when it is set")
    void limitExtensionsFromConfig() throws Exception {
        PoolConfig defaults = PoolConfig.builder("www").listen("127.0.0.1:9000").pm("static").maxChildren(1).build();
        FcgiPool open = started(FcgiPool.builder("www").config(defaults).handler(text("ran")));
        RawFcgiConnection conn = connect(open);
        conn.request(1, true, Map.of("SCRIPT_FILENAME", "/srv/api/users"), new byte[0]);
        assertEquals("ran", conn.readResponse(1).body(), "FPM's .php default is not applied to a Java handler");

        PoolConfig set = PoolConfig.builder("www").listen("127.0.0.1:9000").pm("static").maxChildren(1)
                .securityLimitExtensions(".php").build();
        FcgiPool limited = started(FcgiPool.builder("www").config(set).handler(text("ran")));
        RawFcgiConnection conn2 = connect(limited);
        conn2.request(1, true, Map.of("SCRIPT_FILENAME", "/srv/api/users"), new byte[0]);
        assertEquals(403, conn2.readResponse(1).status());
    }
}
