package dev.fcgi.pool;

import dev.fcgi.protocol.server.FcgiHandler;
import dev.fcgi.protocol.server.FcgiServer;
import dev.fcgi.protocol.testing.Await;
import dev.fcgi.protocol.testing.RawFcgiConnection;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.*;

class AccessLogTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-22T10:01:02Z"), ZoneOffset.UTC);
    private static final Map<String, String> GET = Map.of("SCRIPT_FILENAME", "/srv/www/index.php",
            "SCRIPT_NAME", "/index.php", "REQUEST_METHOD", "GET", "QUERY_STRING", "a=1", "PHP_AUTH_USER", "alice");
    static volatile byte[] sink;

    private static List<String> lines(Path log) {
        try {
            return Files.exists(log) ? Files.readAllLines(log, UTF_8) : List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs {@code requests} against a one-worker pool writing {@code log}, and returns the log's lines. */
    private static List<String> run(Path log, AtomicLong now, FcgiHandler handler,
                                    UnaryOperator<FcgiPool.Builder> settings, List<Map<String, String>> requests,
                                    int expectedLines) throws Exception {
        FcgiPool pool = settings.apply(FcgiPool.builder("www").strategy(StaticStrategy.of(1)).ticker(now::get)
                .heartbeat(Duration.ofHours(1)).clock(CLOCK).accessLog(log).handler(handler)).build().start();
        try (FcgiServer server = FcgiServer.builder().listen("127.0.0.1:0").handler(pool.handler()).dispatcher(pool)
                .build().start();
             RawFcgiConnection conn = RawFcgiConnection.connect(server.localAddress())) {
            for (Map<String, String> params : requests) {
                conn.request(1, true, params, new byte[0]);
                conn.readResponse(1);
            }
            Await.until(WAIT, () -> lines(log).size() >= expectedLines, () -> "lines: " + lines(log));
            return lines(log);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @DisplayName("access.log with the default format: one exact line per request")
    void defaultFormat(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("www.access.log");
        List<String> lines = run(log, new AtomicLong(), (request, response) -> response.body().write("hi".getBytes(UTF_8)),
                b -> b, List.of(GET, Map.of("SCRIPT_NAME", "/other.php", "REQUEST_METHOD", "POST")), 2);
        assertEquals(List.of("127.0.0.1 - alice 22/Nov/2026:10:01:02 +0000 \"GET /index.php\" 200",
                "127.0.0.1 - - 22/Nov/2026:10:01:02 +0000 \"POST /other.php\" 200"), lines);
        assertTrue(Files.readString(log).endsWith("\n"));
    }

    @Test
    @DisplayName("the rich format: duration from the ticker, allocated kilobytes and CPU percent of the worker thread")
    void richFormat(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("www.access.log");
        AtomicLong now = new AtomicLong();
        List<String> lines = run(log, now, (request, response) -> {
                    now.addAndGet(12_345_678L);
                    sink = new byte[300_000];
                    response.status(404);
                },
                b -> b.accessFormat("%R - %u %t \"%m %r%Q%q\" %s %f %{milli}d %{kilo}M %C%% %n %p %{Status}o"),
                List.of(GET), 1);
        assertEquals(1, lines.size(), lines.toString());
        Matcher m = Pattern.compile("127\\.0\\.0\\.1 - alice 22/Nov/2026:10:01:02 \\+0000 \"GET /index\\.php\\?a=1\" "
                + "404 /srv/www/index\\.php 12\\.346 (\\d+) \\d+\\.\\d{2}% www 1 -").matcher(lines.get(0));
        assertTrue(m.matches(), lines.get(0));
        if (AccessLog.threadUsage()[2] > 0) {
            assertTrue(Long.parseLong(m.group(1)) >= 290, "allocated at least the 300 kB array: " + lines.get(0));
        }
    }

    @Test
    @DisplayName("a handler that throws is logged with status 500, or with the status already sent")
    void failedRequest(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("www.access.log");
        List<String> lines = run(log, new AtomicLong(), (request, response) -> {
                    throw new IllegalStateException("boom");
                }, b -> b.accessFormat("%r %s"), List.of(GET), 1);
        assertEquals(List.of("/index.php 500"), lines);
        Path committed = dir.resolve("committed.log");
        lines = run(committed, new AtomicLong(), (request, response) -> {
                    response.status(503);
                    response.body().write("partial".getBytes(UTF_8));
                    response.body().flush();
                    throw new IllegalStateException("boom after the headers were sent");
                }, b -> b.accessFormat("%r %s"), List.of(GET), 1);
        assertEquals(List.of("/index.php 503"), lines, "the status that was sent");
    }

    @Test
    @DisplayName("access.suppress_path: exact request URI left out; the pool's own status page is logged")
    void suppressPath(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("www.access.log");
        List<String> lines = run(log, new AtomicLong(), (request, response) -> response.body().write('x'),
                b -> b.accessFormat("%p %r %s").statusPath("/status").pingPath("/ping")
                        .accessSuppressPath("/ping").accessSuppressPath("/health.php"),
                List.of(Map.of("SCRIPT_NAME", "/ping", "REQUEST_METHOD", "GET"),
                        Map.of("SCRIPT_NAME", "/health.php", "REQUEST_METHOD", "GET"),
                        Map.of("SCRIPT_NAME", "/health.php/", "REQUEST_METHOD", "GET"),
                        Map.of("SCRIPT_NAME", "/status", "REQUEST_METHOD", "GET"),
                        Map.of("SCRIPT_NAME", "/index.php", "REQUEST_METHOD", "GET")), 3);
        assertEquals(List.of("1 /health.php/ 200", "- /status 200", "1 /index.php 200"), lines);
    }

    @Test
    @DisplayName("config(PoolConfig) takes access.log, access.format and access.suppress_path")
    void fromConfig(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("www.access.log");
        PoolConfig config = PoolConfig.builder("www").listen("127.0.0.1:9000").pm(ProcessManager.STATIC)
                .maxChildren(1).accessLog(log).accessFormat("%m %r").accessSuppressPath("/index.php").build();
        List<String> lines = run(log, new AtomicLong(), (request, response) -> { },
                b -> b.config(config).strategy(StaticStrategy.of(1)),
                List.of(GET, Map.of("SCRIPT_NAME", "/a.php", "REQUEST_METHOD", "HEAD")), 1);
        assertEquals(List.of("HEAD /a.php"), lines);
    }

    @Test
    @DisplayName("an invalid access.format is refused when the pool is built, with FPM's message")
    void invalidFormat() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FcgiPool.builder("www").accessFormat("%R %X"));
        assertEquals("Invalid token in the access.format (%X)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> FcgiPool.builder("www").accessSuppressPath("ping"));
    }
}
