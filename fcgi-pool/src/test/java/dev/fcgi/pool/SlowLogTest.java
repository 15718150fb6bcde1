package dev.fcgi.pool;

import dev.fcgi.protocol.server.FcgiServer;
import dev.fcgi.protocol.testing.Await;
import dev.fcgi.protocol.testing.RawFcgiConnection;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.*;

class SlowLogTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    /** A recognizable frame for the slowlog's stack. */
    static void slowWork(CountDownLatch release) throws InterruptedException {
        release.await(30, TimeUnit.SECONDS);
    }

    @Test
    @DisplayName("request_slowlog_timeout: a slow request is logged once, in FPM's format, with the worker's stack")
    void slowRequestLoggedOnce(@TempDir Path dir) throws Exception {
        AtomicLong now = new AtomicLong();
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch entered = new CountDownLatch(1);
        Path slowlog = dir.resolve("www.slow.log");
        FcgiPool pool = FcgiPool.builder("www").strategy(StaticStrategy.of(1)).ticker(now::get)
                .heartbeat(Duration.ofHours(1)).clock(Clock.fixed(Instant.parse("2026-11-22T10:01:02Z"), ZoneOffset.UTC))
                .requestSlowlogTimeout(Duration.ofSeconds(2)).slowlog(slowlog).requestSlowlogTraceDepth(50)
                .handler((request, response) -> {
                    entered.countDown();
                    slowWork(release);
                    response.body().write("done".getBytes(UTF_8));
                })
                .build().start();
        try (FcgiServer server = FcgiServer.builder().listen("127.0.0.1:0").handler(pool.handler()).dispatcher(pool)
                .build().start();
             RawFcgiConnection conn = RawFcgiConnection.connect(server.localAddress())) {
            conn.request(1, true, Map.of("SCRIPT_FILENAME", "/srv/slow.php", "SCRIPT_NAME", "/slow.php",
                    "REQUEST_METHOD", "GET", "QUERY_STRING", "a=1"), new byte[0]);
            assertTrue(entered.await(20, TimeUnit.SECONDS), "the handler runs");
            now.addAndGet(TimeUnit.MILLISECONDS.toNanos(1999));
            pool.runWatchdog();
            assertFalse(Files.exists(slowlog), "not slow yet");
            now.addAndGet(TimeUnit.MILLISECONDS.toNanos(1));
            pool.runWatchdog();
            pool.runWatchdog();
            String log = Files.readString(slowlog);
            assertTrue(log.startsWith("\n[22-Nov-2026 10:01:02]  [pool www] pid 1\nscript_filename = /srv/slow.php\n"),
                    log);
            assertTrue(log.contains(" dev.fcgi.pool.SlowLogTest.slowWork() SlowLogTest.java:"), log);
            assertTrue(log.matches("(?s).*\\n\\[0x0000000000000000\\] .*"), log);
            assertEquals(1, log.split("\\[pool www\\]", -1).length - 1, "logged once per request");
            assertEquals(1, pool.status().slowRequests());
            release.countDown();
            assertEquals("done", conn.readResponse(1).body());
        } finally {
            pool.shutdownNow();
        }
    }
}
