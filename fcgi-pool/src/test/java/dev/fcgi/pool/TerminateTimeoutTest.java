package dev.fcgi.pool;

import dev.fcgi.protocol.server.FcgiServer;
import dev.fcgi.protocol.testing.Await;
import dev.fcgi.protocol.testing.RawFcgiConnection;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code request_terminate_timeout} with a handler stuck in a loop that ignores interrupts: the web server gets an
 * answer, the pool abandons and replaces the worker, and later requests succeed. Time is a fake ticker stepped by
 * the test; the watchdog runs when the test calls it.
 */
class TerminateTimeoutTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @Test
    @DisplayName("a handler stuck in a loop: the client gets a 504, the worker is replaced, later requests succeed")
    void stuckHandlerIsTerminatedAndReplaced() throws Exception {
        AtomicLong now = new AtomicLong();
        AtomicBoolean stuck = new AtomicBoolean(true);
        java.util.concurrent.CountDownLatch entered = new java.util.concurrent.CountDownLatch(1);
        FcgiPool pool = FcgiPool.builder("www").strategy(StaticStrategy.of(1)).ticker(now::get)
                .heartbeat(Duration.ofHours(1)).requestTerminateTimeout(Duration.ofSeconds(5))
                .requestTerminateGrace(Duration.ofSeconds(1))
                .handler((request, response) -> {
                    if (request.param("LOOP") != null) {
                        entered.countDown();
                        while (stuck.get()) {
                            Thread.onSpinWait(); // a busy loop that never looks at its interrupt flag
                        }
                        return;
                    }
                    response.body().write(("served by " + Thread.currentThread().getName()).getBytes(UTF_8));
                })
                .build().start();
        try (FcgiServer server = FcgiServer.builder().listen("127.0.0.1:0").handler(pool.handler()).dispatcher(pool)
                .build().start();
             RawFcgiConnection conn = RawFcgiConnection.connect(server.localAddress())) {
            conn.request(1, true, Map.of("LOOP", "1", "SCRIPT_FILENAME", "/srv/loop.php"), new byte[0]);
            assertTrue(entered.await(20, TimeUnit.SECONDS), "the loop runs");

            now.addAndGet(TimeUnit.SECONDS.toNanos(5) - 1);
            pool.runWatchdog();
            now.addAndGet(1);
            pool.runWatchdog();
            RawFcgiConnection.Response answer = conn.readResponse(1);
            assertEquals(504, answer.status(), "the web server is answered, not left hanging");
            assertTrue(answer.body().contains("request_terminate_timeout"), answer.body());

            assertEquals(1, pool.status().totalProcesses(), "within the grace the stuck worker is still counted");
            now.addAndGet(TimeUnit.SECONDS.toNanos(1));
            pool.runWatchdog();
            Await.until(WAIT, () -> pool.status().idleProcesses() == 1, "a new worker replaced the abandoned one");

            conn.request(2, true, Map.of(), new byte[0]);
            String body = conn.readResponse(2).body();
            assertTrue(body.startsWith("served by pool-www-worker-"), body);
            assertNotEquals("served by pool-www-worker-1", body, "not the stuck worker");
        } finally {
            stuck.set(false);
            pool.shutdownNow();
        }
    }

    @Test
    @DisplayName("an interruptible handler stops when terminated and its worker goes back to the pool")
    void interruptibleHandlerStops() throws Exception {
        AtomicLong now = new AtomicLong();
        java.util.concurrent.CountDownLatch entered = new java.util.concurrent.CountDownLatch(1);
        FcgiPool pool = FcgiPool.builder("www").strategy(StaticStrategy.of(1)).ticker(now::get)
                .heartbeat(Duration.ofHours(1)).requestTerminateTimeout(Duration.ofSeconds(2))
                .handler((request, response) -> {
                    if (request.param("SLEEP") != null) {
                        entered.countDown();
                        Thread.sleep(60_000); // interrupted by the termination
                    }
                    response.body().write(("served by " + Thread.currentThread().getName()).getBytes(UTF_8));
                })
                .build().start();
        try (FcgiServer server = FcgiServer.builder().listen("127.0.0.1:0").handler(pool.handler()).dispatcher(pool)
                .build().start();
             RawFcgiConnection conn = RawFcgiConnection.connect(server.localAddress())) {
            conn.request(1, true, Map.of("SLEEP", "1"), new byte[0]);
            assertTrue(entered.await(20, TimeUnit.SECONDS), "the request runs");
            now.addAndGet(TimeUnit.SECONDS.toNanos(2));
            pool.runWatchdog();
            assertEquals(504, conn.readResponse(1).status());
            Await.until(WAIT, () -> pool.status().idleProcesses() == 1, "the same worker is idle again");
            conn.request(2, true, Map.of(), new byte[0]);
            assertEquals("served by pool-www-worker-1", conn.readResponse(2).body(), "no replacement was needed");
        } finally {
            pool.shutdownNow();
        }
    }
}
