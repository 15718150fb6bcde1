package dev.fcgi.pool;

import dev.fcgi.pool.status.StatusPage;
import dev.fcgi.protocol.server.FcgiServer;
import dev.fcgi.protocol.testing.Await;
import dev.fcgi.protocol.testing.MiniJson;
import dev.fcgi.protocol.testing.RawFcgiConnection;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The status and ping pages of an {@link FcgiPool} behind a real {@link FcgiServer}: answered by the pool itself,
 * even when its only worker is busy.
 */
class PoolStatusPageTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final long SECOND = 1_000_000_000L;

    private final AtomicLong now = new AtomicLong();
    private final List<AutoCloseable> closing = new ArrayList<>();
    private final CountDownLatch running = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);

    @AfterEach
    void close() throws Exception {
        release.countDown();
        for (AutoCloseable c : closing.reversed()) {
            c.close();
        }
    }

    /** Static, one worker; a request with BLOCK waits for {@code release}. */
    private FcgiPool pool() {
        FcgiPool pool = FcgiPool.builder("www").strategy(StaticStrategy.of(1)).ticker(now::get)
                .heartbeat(Duration.ofHours(1)).clock(Clock.fixed(Instant.parse("2026-01-02T03:04:05Z"), ZoneOffset.UTC))
                .statusPath("/status").pingPath("/ping")
                .handler((request, response) -> {
                    if (request.param("BLOCK") != null) {
                        running.countDown();
                        release.await(30, TimeUnit.SECONDS);
                    }
                    response.body().write("app".getBytes());
                })
                .build().start();
        closing.add(pool);
        return pool;
    }

    private RawFcgiConnection connect(FcgiPool pool) throws Exception {
        FcgiServer server = FcgiServer.builder().listen("127.0.0.1:0").handler(pool.handler()).dispatcher(pool)
                .build().start();
        closing.add(server);
        RawFcgiConnection conn = RawFcgiConnection.connect(server.localAddress());
        closing.add(conn);
        return conn;
    }

    private static Map<String, String> get(String scriptName, String query) {
        return Map.of("REQUEST_METHOD", "GET", "SCRIPT_NAME", scriptName, "QUERY_STRING", query,
                "REQUEST_URI", scriptName + (query.isEmpty() ? "" : "?" + query));
    }

    @Test
    @DisplayName("status (json, text) and ping answer while the only worker is busy; the busy worker's request shows")
    void answeredWhileSaturated() throws Exception {
        FcgiPool pool = pool();
        RawFcgiConnection conn = connect(pool);
        conn.request(1, true, Map.of("REQUEST_METHOD", "POST", "SCRIPT_NAME", "/slow.php", "QUERY_STRING", "x=1",
                "CONTENT_LENGTH", "0", "REMOTE_USER", "bob", "SCRIPT_FILENAME", "/srv/slow.php", "BLOCK", "1"),
                new byte[0]);
        Await.until(WAIT, () -> running.getCount() == 0, "the only worker runs the slow request");
        now.addAndGet(3 * SECOND);

        conn.request(2, true, get("/status", "json&full"), new byte[0]);
        RawFcgiConnection.Response json = conn.readResponse(2);
        assertEquals(200, json.status());
        assertTrue(json.headers().contains("Content-Type: application/json"), json.headers());
        assertTrue(json.headers().contains("Expires: " + StatusPage.EXPIRES), json.headers());
        assertTrue(json.headers().contains("Cache-Control: " + StatusPage.CACHE_CONTROL), json.headers());
        Map<String, Object> status = MiniJson.parseObject(json.body());
        assertEquals("www", status.get("pool"));
        assertEquals("static", status.get("process manager"));
        assertEquals(Instant.parse("2026-01-02T03:04:05Z").getEpochSecond(), status.get("start time"));
        assertEquals(3L, status.get("start since"));
        assertEquals(1L, status.get("active processes"));
        assertEquals(0L, status.get("idle processes"));
        assertEquals(2L, status.get("accepted conn"), "the status request counts");
        @SuppressWarnings("unchecked")
        Map<String, Object> worker = ((List<Map<String, Object>>) status.get("processes")).getFirst();
        assertEquals("Running", worker.get("state"));
        assertEquals("/slow.php?x=1", worker.get("request uri"));
        assertEquals("POST", worker.get("request method"));
        assertEquals("bob", worker.get("user"));
        assertEquals("/srv/slow.php", worker.get("script"));
        assertEquals(3_000_000L, worker.get("request duration"));

        conn.request(3, true, get("/status", "full"), new byte[0]);
        RawFcgiConnection.Response text = conn.readResponse(3);
        assertTrue(text.headers().contains("Content-Type: text/plain"), text.headers());
        assertTrue(text.body().contains("\nactive processes:     1\n"), text.body());
        assertTrue(text.body().contains("\n************************\npid:                  1\n"
                + "state:                Running\n"), text.body());
        assertTrue(text.body().contains("\nrequest URI:          /slow.php?x=1\n"), text.body());

        conn.request(4, true, get("/ping", ""), new byte[0]);
        RawFcgiConnection.Response ping = conn.readResponse(4);
        assertEquals(200, ping.status());
        assertEquals("pong", ping.body());
        assertTrue(ping.headers().contains("Content-Type: text/plain"), ping.headers());
        assertTrue(ping.headers().contains("Cache-Control: " + StatusPage.CACHE_CONTROL), ping.headers());

        release.countDown();
        assertEquals("app", conn.readResponse(1).body());
        Await.until(WAIT, () -> pool.status().idleProcesses() == 1, "the worker is idle again");
        WorkerView idle = pool.snapshot().workers().getFirst();
        assertEquals("/slow.php", idle.request().uri(), "an idle worker keeps its last request");
        assertEquals(3 * SECOND, idle.requestDurationNanos(now.get() + 99 * SECOND), "and its duration");
        assertEquals(4, pool.status().acceptedConn());
    }

    @Test
    @DisplayName("routing: SCRIPT_NAME, else DOCUMENT_URI, else REQUEST_URI's path; HEAD gets headers only")
    void routing() throws Exception {
        FcgiPool pool = pool();
        RawFcgiConnection conn = connect(pool);
        conn.request(1, true, Map.of("REQUEST_METHOD", "GET", "REQUEST_URI", "/ping?x=1"), new byte[0]);
        assertEquals("pong", conn.readResponse(1).body());
        conn.request(2, true, Map.of("REQUEST_METHOD", "GET", "SCRIPT_NAME", "", "DOCUMENT_URI", "/ping"),
                new byte[0]);
        assertEquals("pong", conn.readResponse(2).body());
        conn.request(3, true, Map.of("REQUEST_METHOD", "GET", "SCRIPT_NAME", "/index.php",
                "REQUEST_URI", "/ping"), new byte[0]);
        assertEquals("app", conn.readResponse(3).body(), "SCRIPT_NAME wins over REQUEST_URI");
        conn.request(4, true, Map.of("REQUEST_METHOD", "HEAD", "SCRIPT_NAME", "/status",
                "QUERY_STRING", "openmetrics"), new byte[0]);
        RawFcgiConnection.Response head = conn.readResponse(4);
        assertEquals("", head.body());
        assertTrue(head.headers().contains("Content-Type: application/openmetrics-text; version=1.0.0; "
                + "charset=utf-8"), head.headers());
        conn.request(5, true, get("/status", "openmetrics"), new byte[0]);
        String metrics = conn.readResponse(5).body();
        assertTrue(metrics.contains("phpfpm_accepted_connections{pool=\"www\"} 5\n"), metrics);
        assertTrue(metrics.endsWith("# EOF\n"), metrics);
    }

    @Test
    @DisplayName("Builder.config(PoolConfig) takes pm.status_path, ping.path and ping.response")
    void fromConfig() {
        PoolConfig config = PoolConfig.builder("www").listen("127.0.0.1:9000").pm("static").maxChildren(1).statusPath("/fpm-status")
                .pingPath("/fpm-ping").pingResponse("alive").build();
        FcgiPool pool = FcgiPool.builder("www").config(config).handler((request, response) -> { }).build();
        assertEquals("/fpm-status", pool.statusPath());
        assertEquals("/fpm-ping", pool.pingPath());
        assertEquals("alive", pool.pingResponse());
    }
}
