package dev.fcgi.pool;

import dev.fcgi.protocol.server.FcgiHandler;
import dev.fcgi.protocol.server.FcgiServer;
import dev.fcgi.protocol.testing.Await;
import dev.fcgi.protocol.testing.RawFcgiConnection;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.*;

/**
 * {@link FcgiPool} with real worker threads; time comes from a fake ticker and the heartbeat is an hour, so that
 * maintenance runs only when a test steps it or an event (a queued request, a worker leaving) triggers it.
 */
class FcgiPoolTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final FcgiHandler NOOP = (request, response) -> { };

    private final AtomicLong now = new AtomicLong();
    private final List<FcgiPool> pools = new ArrayList<>();

    @AfterEach
    void shutdown() {
        pools.forEach(FcgiPool::shutdownNow);
    }

    private FcgiPool.Builder pool(PoolStrategy strategy) {
        return FcgiPool.builder("www").strategy(strategy).handler(NOOP).ticker(now::get)
                .heartbeat(Duration.ofHours(1));
    }

    private FcgiPool started(FcgiPool.Builder builder) {
        FcgiPool pool = builder.build().start();
        pools.add(pool);
        return pool;
    }

    /** A job that waits for {@code release}, counting itself into {@code running}. */
    private static Runnable blocking(CountDownLatch running, CountDownLatch release) {
        return () -> {
            running.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
    }

    @Test
    @DisplayName("static: max_children workers; more requests queue, counted in listen queue and max listen queue")
    void staticQueues() {
        FcgiPool pool = started(pool(StaticStrategy.of(3)));
        assertEquals(3, pool.status().idleProcesses());
        CountDownLatch running = new CountDownLatch(3);
        CountDownLatch release = new CountDownLatch(1);
        for (int i = 0; i < 5; i++) {
            pool.dispatch(null, blocking(running, release));
        }
        Await.until(WAIT, () -> running.getCount() == 0, "three requests run");
        PoolStatus busy = pool.status();
        assertEquals(3, busy.activeProcesses());
        assertEquals(2, busy.listenQueue());
        assertEquals(2, busy.maxListenQueue());
        release.countDown();
        Await.until(WAIT, () -> pool.status().idleProcesses() == 3, "all workers idle again");
        PoolStatus done = pool.status();
        assertEquals(5, done.acceptedConn());
        assertEquals(0, done.listenQueue());
        assertEquals(3, done.maxActiveProcesses());
        assertEquals(3, done.totalProcesses(), "static never grows");
    }

    @Test
    @DisplayName("listen.backlog: past the queue bound a request is refused (FCGI_OVERLOADED) and counted")
    void backlogBound() {
        FcgiPool pool = started(pool(StaticStrategy.of(1)).listenBacklog(1));
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        pool.dispatch(null, blocking(running, release));
        Await.until(WAIT, () -> running.getCount() == 0, "the first request runs");
        pool.dispatch(null, () -> { });
        RejectedExecutionException e = assertThrows(RejectedExecutionException.class,
                () -> pool.dispatch(null, () -> { }));
        assertEquals("[pool www] 1 requests wait for a worker (listen.backlog = 1)", e.getMessage());
        assertEquals(1, pool.status().rejected());
        release.countDown();
    }

    @Test
    @DisplayName("dynamic: a burst from idle to max_children busy starts every worker without waiting for a tick")
    void dynamicBurstWithoutTicks() {
        FcgiPool pool = started(pool(DynamicStrategy.newBuilder().maxChildren(8).minSpareServers(1)
                .maxSpareServers(2).startServers(1).build()));
        CountDownLatch running = new CountDownLatch(8);
        CountDownLatch release = new CountDownLatch(1);
        for (int i = 0; i < 8; i++) {
            pool.dispatch(null, blocking(running, release));
        }
        Await.until(WAIT, () -> running.getCount() == 0, "all 8 run at once: no tick happened (heartbeat 1 h)");
        assertEquals(8, pool.status().activeProcesses());
        pool.dispatch(null, blocking(new CountDownLatch(1), release));
        Await.until(WAIT, () -> pool.status().maxChildrenReached() == 1, "max_children reached is counted");
        pool.dispatch(null, blocking(new CountDownLatch(1), release));
        release.countDown();
        Await.until(WAIT, () -> pool.status().listenQueue() == 0 && pool.status().activeProcesses() == 0, "drained");
        assertEquals(1, pool.status().maxChildrenReached(), "once per episode");
    }

    @Test
    @DisplayName("dynamic: over max_spare, maintenance retires one idle worker per tick")
    void dynamicRetiresOnePerTick() throws Exception {
        FcgiPool pool = started(pool(DynamicStrategy.newBuilder().maxChildren(8).minSpareServers(1)
                .maxSpareServers(2).startServers(2).build()));
        CountDownLatch running = new CountDownLatch(6);
        CountDownLatch release = new CountDownLatch(1);
        for (int i = 0; i < 6; i++) {
            pool.dispatch(null, blocking(running, release));
        }
        Await.until(WAIT, () -> running.getCount() == 0, "6 run");
        release.countDown();
        Await.until(WAIT, () -> pool.status().idleProcesses() == 6, "6 idle");
        pool.runMaintenance();
        Await.until(WAIT, () -> pool.status().totalProcesses() == 5, "one retired");
        pool.runMaintenance();
        Await.until(WAIT, () -> pool.status().totalProcesses() == 4, "one more");
        pool.runMaintenance();
        pool.runMaintenance();
        Await.until(WAIT, () -> pool.status().totalProcesses() == 2, "down to max_spare");
        pool.runMaintenance();
        assertEquals(2, pool.status().totalProcesses(), "not below max_spare");
    }

    @Test
    @DisplayName("ondemand: no worker at start, workers on demand, the longest idle retired after the idle timeout")
    void onDemand() throws Exception {
        FcgiPool pool = started(pool(OnDemandStrategy.newBuilder().maxChildren(4)
                .processIdleTimeout(Duration.ofSeconds(10)).build()));
        assertEquals(0, pool.status().totalProcesses());
        CountDownLatch running = new CountDownLatch(2);
        CountDownLatch release = new CountDownLatch(1);
        pool.dispatch(null, blocking(running, release));
        pool.dispatch(null, blocking(running, release));
        Await.until(WAIT, () -> running.getCount() == 0, "two workers started for two requests");
        release.countDown();
        Await.until(WAIT, () -> pool.status().idleProcesses() == 2, "both idle");
        now.addAndGet(TimeUnit.SECONDS.toNanos(10));
        pool.runMaintenance();
        assertEquals(2, pool.status().totalProcesses(), "idle for exactly the timeout: kept");
        now.addAndGet(1);
        pool.runMaintenance();
        Await.until(WAIT, () -> pool.status().totalProcesses() == 1, "one retired per tick");
        pool.runMaintenance();
        Await.until(WAIT, () -> pool.status().totalProcesses() == 0, "then the other");
    }

    @Test
    @DisplayName("requests go to the most recently used idle worker, so the others stay idle and can be retired")
    void mostRecentlyUsedFirst() {
        FcgiPool pool = started(pool(StaticStrategy.of(4)));
        Set<Long> threads = ConcurrentHashMap.newKeySet();
        for (int i = 0; i < 10; i++) {
            CountDownLatch done = new CountDownLatch(1);
            Await.until(WAIT, () -> pool.status().idleProcesses() == 4, "all idle");
            pool.dispatch(null, () -> {
                threads.add(Thread.currentThread().threadId());
                done.countDown();
            });
            Await.until(WAIT, () -> done.getCount() == 0, "ran");
        }
        assertEquals(1, threads.size(), "sequential requests all went to the same worker");
    }

    @Test
    @DisplayName("behind FcgiServer: each worker runs its own handler; a full queue answers FCGI_OVERLOADED")
    void behindServer() throws Exception {
        AtomicInteger instances = new AtomicInteger();
        CountDownLatch release = new CountDownLatch(1);
        FcgiPool pool = started(FcgiPool.builder("www").strategy(StaticStrategy.of(1)).listenBacklog(0)
                .handler(() -> {
                    int instance = instances.incrementAndGet();
                    return (request, response) -> {
                        if (request.param("BLOCK") != null) {
                            release.await(30, TimeUnit.SECONDS);
                        }
                        response.body().write(("instance " + instance).getBytes(UTF_8));
                    };
                }));
        try (FcgiServer server = FcgiServer.builder().listen("127.0.0.1:0").handler(pool.handler()).dispatcher(pool)
                .build().start();
             RawFcgiConnection conn = RawFcgiConnection.connect(server.localAddress())) {
            conn.request(1, true, Map.of(), new byte[0]);
            assertEquals("instance 1", conn.readResponse(1).body(), "the worker's handler, not the shared one");
            conn.request(2, true, Map.of("BLOCK", "1"), new byte[0]);
            Await.until(WAIT, () -> pool.status().activeProcesses() == 1, "the only worker is busy");
            conn.request(3, true, Map.of(), new byte[0]);
            RawFcgiConnection.Response refused = conn.readResponse(3);
            assertEquals(2, refused.end().protocolStatus(), "FCGI_OVERLOADED");
            release.countDown();
            assertEquals("instance 1", conn.readResponse(2).body());
        }
    }

    @Test
    @DisplayName("shutdownGracefully: running and queued requests finish; new ones are refused")
    void gracefulShutdown() throws Exception {
        FcgiPool pool = started(pool(StaticStrategy.of(1)));
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch queuedRan = new CountDownLatch(1);
        pool.dispatch(null, blocking(running, release));
        pool.dispatch(null, queuedRan::countDown);
        Await.until(WAIT, () -> running.getCount() == 0, "the first runs");
        Thread stopper = Thread.ofPlatform().start(() -> {
            try {
                pool.shutdownGracefully(Duration.ofSeconds(30));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        Await.until(WAIT, () -> {
            try {
                pool.dispatch(null, () -> { });
                return false;
            } catch (RejectedExecutionException e) {
                return true;
            }
        }, "new requests are refused once shutdown began");
        release.countDown();
        assertTrue(queuedRan.await(20, TimeUnit.SECONDS), "the queued request still ran");
        stopper.join(20_000);
        assertFalse(stopper.isAlive());
        Await.until(WAIT, () -> pool.status().totalProcesses() == 0, "every worker left");
    }
}
