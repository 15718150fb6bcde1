package dev.fcgi.pool;

import dev.fcgi.protocol.server.FcgiHandler;
import dev.fcgi.protocol.server.FcgiServer;
import dev.fcgi.protocol.testing.Await;
import dev.fcgi.protocol.testing.LimitValues;
import dev.fcgi.protocol.testing.RawFcgiConnection;
import dev.fcgi.protocol.testing.RawFcgiConnection.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The pool's limits behind an {@link FcgiServer}, each just under and just over: {@code pm.max_children} busy
 * workers and {@code listen.backlog} queued requests are all served, one more request gets FCGI_OVERLOADED (as
 * php-fpm's full listen queue makes nginx answer 502/503); {@code pm.max_requests} requests run on a worker, the
 * next on a fresh one. Sizes are edges plus one drawn from a fixed seed ({@link LimitValues}). ({@code request_terminate_timeout}:
 * {@link TerminateTimeoutTest}.)
 */
class PoolLimitsTest {

    static final Duration WAIT = Duration.ofSeconds(20);

    private final List<FcgiPool> pools = new ArrayList<>();

    @AfterEach
    void shutdown() {
        pools.forEach(FcgiPool::shutdownNow);
    }

    private FcgiPool started(FcgiPool.Builder builder) {
        FcgiPool pool = builder.build().start();
        pools.add(pool);
        return pool;
    }

    /** A handler per worker that waits for {@code release} when asked, then names its instance. */
    private static FcgiPool.Builder pool(PoolStrategy strategy, CountDownLatch release, AtomicInteger instances) {
        return FcgiPool.builder("www").strategy(strategy).heartbeat(Duration.ofHours(1)).handler(() -> {
            int instance = instances.incrementAndGet();
            FcgiHandler handler = (request, response) -> {
                if (request.param("BLOCK") != null) {
                    assertTrue(release.await(30, TimeUnit.SECONDS));
                }
                response.body().write(("instance " + instance).getBytes(UTF_8));
            };
            return handler;
        });
    }

    private static FcgiServer serverFor(FcgiPool pool) throws Exception {
        return FcgiServer.builder().listen("127.0.0.1:0").handler(pool.handler()).dispatcher(pool).ioThreads(2)
                .build().start();
    }

    static Stream<Arguments> childrenAndBacklog() {
        Random random = LimitValues.random(1, 8);
        List<Arguments> cases = new ArrayList<>();
        for (String pm : List.of("static", "ondemand")) {
            int least = pm.equals("ondemand") ? 1 : 0;         // ondemand's requests wait for the worker they start
            cases.add(Arguments.of(pm, 1, least));
            cases.add(Arguments.of(pm, 2, 3));
            cases.add(Arguments.of(pm, 1 + random.nextInt(8), least + random.nextInt(20)));
        }
        return cases.stream();
    }

    private static PoolStrategy strategy(String pm, int maxChildren) {
        return pm.equals("static") ? StaticStrategy.of(maxChildren)
                : OnDemandStrategy.newBuilder().maxChildren(maxChildren).build();
    }

    @ParameterizedTest(name = "pm = {0}, pm.max_children {1}, listen.backlog {2}")
    @MethodSource("childrenAndBacklog")
    @DisplayName("pm.max_children and listen.backlog: that many running and queued are all served; one more gets"
            + " FCGI_OVERLOADED, counted and logged")
    void maxChildrenAndBacklog(String pm, int maxChildren, int backlog) throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        FcgiPool pool = started(pool(strategy(pm, maxChildren), release, new AtomicInteger())
                .listenBacklog(backlog));
        try (FcgiServer server = serverFor(pool);
             RawFcgiConnection conn = RawFcgiConnection.connect(server.localAddress())) {
            int accepted = maxChildren + backlog;
            for (int id = 1; id <= accepted; id++) {
                conn.request(id, true, Map.of("BLOCK", "1"), new byte[0]);
                int running = Math.min(id, maxChildren);        // ondemand starts a worker per request: let it
                Await.until(WAIT, () -> pool.status().activeProcesses() == running, () -> "running: " + pool.status());
            }
            Await.until(WAIT, () -> pool.status().activeProcesses() == maxChildren
                    && pool.status().listenQueue() == backlog, () -> "busy and queued: " + pool.status());
            conn.request(accepted + 1, true, Map.of(), new byte[0]);
            Response refused = conn.readResponse(accepted + 1);
            assertEquals(2, refused.end().protocolStatus(), "FCGI_OVERLOADED");
            assertEquals(1, pool.status().rejected());
            assertEquals(maxChildren, pool.status().totalProcesses(), "no worker past pm.max_children");
            release.countDown();
            conn.readResponses(IntStream.rangeClosed(1, accepted).toArray()).values()
                    .forEach(r -> assertTrue(r.body().startsWith("instance "), r.text()));
            conn.request(1, true, Map.of(), new byte[0]);
            assertTrue(conn.readResponse(1).body().startsWith("instance "), "served again once the queue drained");
        }
    }

    static IntStream maxRequests() {
        return LimitValues.edgesAndSeeded(2, 32, 1, 3);
    }

    @ParameterizedTest(name = "pm.max_requests {0}")
    @MethodSource("maxRequests")
    @DisplayName("pm.max_requests: that many requests run on one worker; the next runs on a fresh worker with a fresh"
            + " handler")
    void maxRequests(int limit) throws Exception {
        AtomicInteger instances = new AtomicInteger();
        FcgiPool pool = started(pool(StaticStrategy.of(1), new CountDownLatch(0), instances).maxRequests(limit));
        IntFunction<String> instance = n -> "instance " + n;
        try (FcgiServer server = serverFor(pool);
             RawFcgiConnection conn = RawFcgiConnection.connect(server.localAddress())) {
            Await.until(WAIT, () -> pool.status().idleProcesses() == 1, "the worker is idle");
            int first = instances.get();
            for (int id = 1; id <= limit; id++) {
                conn.request(id, true, Map.of(), new byte[0]);
                assertEquals(instance.apply(first), conn.readResponse(id).body(), "request " + id);
            }
            Await.until(WAIT, () -> pool.status().idleProcesses() == 1, "its replacement is idle");
            conn.request(limit + 1, true, Map.of(), new byte[0]);
            assertEquals(instance.apply(first + 1), conn.readResponse(limit + 1).body(), "the next request");
        }
    }

    @org.junit.jupiter.api.Test
    @DisplayName("pm = ondemand with listen.backlog 0 is refused when built: its first request would be refused and"
            + " no worker would ever start")
    void onDemandNeedsABacklog() {
        FcgiPool.Builder builder = pool(strategy("ondemand", 4), new CountDownLatch(0), new AtomicInteger())
                .listenBacklog(0);
        IllegalStateException e = assertThrows(IllegalStateException.class, builder::build);
        assertTrue(e.getMessage().contains("listen.backlog 0 with pm = ondemand"), e.getMessage());
    }
}
