package dev.fcgi.pool.status;

import dev.fcgi.pool.PoolStatus;
import dev.fcgi.pool.RequestInfo;
import dev.fcgi.pool.ScoreboardSnapshot;
import dev.fcgi.pool.WorkerState;
import dev.fcgi.pool.WorkerView;
import dev.fcgi.protocol.testing.MiniJson;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/** {@link StatusPage} in every format, from a hand-made scoreboard; times are fixed, the zone is UTC. */
class StatusPageTest {

    private static final long SECOND = 1_000_000_000L;

    /** Pool started at ticker 1 s (2026-01-02T03:04:05Z), now is 11 s; worker 1 runs, worker 2 is idle. */
    private static StatusPage page() {
        PoolStatus status = new PoolStatus("www", "static", SECOND, 7, 2, 3, 511, 1, 1, 2, 2, 0, 4, 1_500_000,
                Instant.parse("2026-01-02T03:04:05Z"), 0);
        WorkerView running = new WorkerView(1, 1, WorkerState.RUNNING, SECOND, 9 * SECOND, 5,
                new RequestInfo("GET", "/index.php", "a=1&b=<x>", 12, "alice", "/srv/index.php"), 9 * SECOND, 42, 0, 0);
        WorkerView idle = new WorkerView(2, 2, WorkerState.IDLE, 2 * SECOND, 10 * SECOND, 3,
                new RequestInfo("POST", "/up\"load.php", "", -1, null, null), -1, 250_000, 0, 0);
        return new StatusPage(status, new ScoreboardSnapshot(11 * SECOND, 2, List.of(running, idle)), ZoneOffset.UTC);
    }

    private static final String POOL_TEXT = """
            pool:                 www
            process manager:      static
            start time:           02/Jan/2026:03:04:05 +0000
            start since:          10
            accepted conn:        7
            listen queue:         2
            max listen queue:     3
            listen queue len:     511
            idle processes:       1
            active processes:     1
            total processes:      2
            max active processes: 2
            max children reached: 0
            slow requests:        0
            rejected requests:    4
            max queue wait:       1500
            """;

    @Test
    @DisplayName("text: FPM's labels padded to column 23")
    void text() {
        assertEquals(POOL_TEXT, page().render(StatusFormat.TEXT, false));
    }

    @Test
    @DisplayName("text full: one block per worker after \\n************************\\n; idle shows the last duration")
    void textFull() {
        String expected = POOL_TEXT + """

                ************************
                pid:                  1
                state:                Running
                start time:           02/Jan/2026:03:04:05 +0000
                start since:          10
                requests:             5
                request duration:     2000000
                request method:       GET
                request URI:          /index.php?a=1&b=<x>
                content length:       12
                user:                 alice
                script:               /srv/index.php
                last request cpu:     0.00
                last request memory:  0

                ************************
                pid:                  2
                state:                Idle
                start time:           02/Jan/2026:03:04:06 +0000
                start since:          9
                requests:             3
                request duration:     250
                request method:       POST
                request URI:          /up"load.php
                content length:       0
                user:                 -
                script:               -
                last request cpu:     0.00
                last request memory:  0
                """;
        assertEquals(expected, page().render(StatusFormat.TEXT, true));
    }

    @Test
    @DisplayName("json: FPM's keys, start time as epoch seconds; full adds \"processes\"; every value escaped")
    void json() {
        Map<String, Object> pool = MiniJson.parseObject(page().render(StatusFormat.JSON, false));
        assertEquals(List.of("pool", "process manager", "start time", "start since", "accepted conn", "listen queue",
                "max listen queue", "listen queue len", "idle processes", "active processes", "total processes",
                "max active processes", "max children reached", "slow requests", "rejected requests",
                "max queue wait"), List.copyOf(pool.keySet()));
        assertEquals("www", pool.get("pool"));
        assertEquals(Instant.parse("2026-01-02T03:04:05Z").getEpochSecond(), pool.get("start time"));
        assertEquals(7L, pool.get("accepted conn"));

        Map<String, Object> full = MiniJson.parseObject(page().render(StatusFormat.JSON, true));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> processes = (List<Map<String, Object>>) full.get("processes");
        assertEquals(2, processes.size());
        assertEquals(List.of("pid", "state", "start time", "start since", "requests", "request duration",
                "request method", "request uri", "content length", "user", "script", "last request cpu",
                "last request memory"), List.copyOf(processes.get(0).keySet()));
        assertEquals(1L, processes.get(0).get("pid"));
        assertEquals("Running", processes.get(0).get("state"));
        assertEquals("/index.php?a=1&b=<x>", processes.get(0).get("request uri"));
        assertEquals(2_000_000L, processes.get(0).get("request duration"));
        assertEquals("/up\"load.php", processes.get(1).get("request uri"));
        assertEquals(250L, processes.get(1).get("request duration"));
        assertEquals("-", processes.get(1).get("user"));
    }

    @Test
    @DisplayName("xml: <status> with hyphenated tags; full adds <processes><process>")
    void xml() {
        String xml = page().render(StatusFormat.XML, true);
        assertTrue(xml.startsWith("<?xml version=\"1.0\" ?>\n<status>\n<pool>www</pool>\n"
                + "<process-manager>static</process-manager>\n<start-time>"
                + Instant.parse("2026-01-02T03:04:05Z").getEpochSecond() + "</start-time>\n"), xml);
        assertTrue(xml.contains("<max-active-processes>2</max-active-processes>\n"), xml);
        assertTrue(xml.contains("<slow-requests>0</slow-requests>\n"), xml);
        assertTrue(xml.contains("<rejected-requests>4</rejected-requests>\n"), xml);
        assertTrue(xml.contains("<processes>\n<process><pid>1</pid><state>Running</state>"), xml);
        assertTrue(xml.contains("<request-uri>/index.php?a=1&amp;b=&lt;x&gt;</request-uri>"), xml);
        assertTrue(xml.contains("<last-request-memory>0</last-request-memory></process>\n</processes>\n"), xml);
        assertTrue(xml.endsWith("</status>\n"), xml);
        assertFalse(page().render(StatusFormat.XML, false).contains("<processes>"));
        // well-formed
        assertDoesNotThrow(() -> javax.xml.parsers.DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new java.io.ByteArrayInputStream(xml.getBytes(java.nio.charset.StandardCharsets.UTF_8))));
    }

    @Test
    @DisplayName("html: FPM's tables; full adds a bordered table with one row per worker")
    void html() {
        String html = page().render(StatusFormat.HTML, false);
        assertTrue(html.contains("<head><title>PHP-FPM Status Page</title></head>"), html);
        assertTrue(html.contains("<table>\n<tr><th>pool</th><td>www</td></tr>\n"), html);
        assertTrue(html.contains("<tr><th>start time</th><td>02/Jan/2026:03:04:05 +0000</td></tr>\n"), html);
        assertFalse(html.contains("border"));
        String full = page().render(StatusFormat.HTML, true);
        assertTrue(full.contains("<table border=\"1\">\n<tr><th>pid</th><th>state</th><th>start time</th>"), full);
        assertTrue(full.contains("<th>request uri</th>"), full);
        assertTrue(full.contains("<tr><td>1</td><td>Running</td>"), full);
        assertTrue(full.contains("<td>/index.php?a=1&amp;b=&lt;x&gt;</td>"), full);
        assertTrue(full.endsWith("</body></html>\n"), full);
    }

    @Test
    @DisplayName("openmetrics: FPM's names and types, a pool label on every series, per-worker series, # EOF")
    void openMetrics() {
        String metrics = page().render(StatusFormat.OPENMETRICS, false);
        assertTrue(metrics.endsWith("\n# EOF\n"), metrics);
        assertTrue(metrics.contains("# HELP phpfpm_up Could pool www using a static PM on PHP-FPM be reached?\n"
                + "# TYPE phpfpm_up gauge\nphpfpm_up{pool=\"www\"} 1\n"), metrics);
        assertTrue(metrics.contains("# TYPE phpfpm_accepted_connections counter\n"
                + "phpfpm_accepted_connections{pool=\"www\"} 7\n"), metrics);
        assertTrue(metrics.contains("phpfpm_active_processes{pool=\"www\"} 1\n"), metrics);
        assertTrue(metrics.contains("phpfpm_process_requests{pool=\"www\",pid=\"1\"} 5\n"), metrics);
        assertTrue(metrics.contains("phpfpm_process_requests{pool=\"www\",pid=\"2\"} 3\n"), metrics);
        assertTrue(metrics.contains("phpfpm_process_state{pool=\"www\",pid=\"1\",state=\"Running\"} 1\n"), metrics);
        assertTrue(metrics.contains("phpfpm_process_state{pool=\"www\",pid=\"1\",state=\"Idle\"} 0\n"), metrics);
        assertTrue(metrics.contains("phpfpm_process_state{pool=\"www\",pid=\"2\",state=\"Idle\"} 1\n"), metrics);
        assertTrue(metrics.contains("phpfpm_rejected_requests{pool=\"www\"} 4\n"), metrics);
        assertEquals(metrics, page().render(StatusFormat.OPENMETRICS, true), "full changes nothing");

        // every family: HELP then TYPE, before its samples; every sample has the pool label; no blank line
        Map<String, String> types = new LinkedHashMap<>();
        Set<String> helped = new HashSet<>();
        Pattern sample = Pattern.compile("([a-z_]+)\\{pool=\"www\"(,[a-z]+=\"[^\"]*\")*} -?[0-9.E]+");
        String[] lines = metrics.split("\n", -1);
        assertEquals("", lines[lines.length - 1]);
        for (int i = 0; i < lines.length - 2; i++) {
            String line = lines[i];
            assertFalse(line.isEmpty(), "no blank lines");
            if (line.startsWith("# HELP ")) {
                String name = line.split(" ")[2];
                assertTrue(helped.add(name), "one HELP for " + name);
                assertEquals("# TYPE " + name, lines[i + 1].substring(0, lines[i + 1].lastIndexOf(' ')));
            } else if (line.startsWith("# TYPE ")) {
                String[] parts = line.split(" ");
                assertTrue(helped.contains(parts[2]), "HELP before TYPE for " + parts[2]);
                assertTrue(Set.of("gauge", "counter").contains(parts[3]), line);
                assertNull(types.put(parts[2], parts[3]), "one TYPE for " + parts[2]);
            } else {
                Matcher m = sample.matcher(line);
                assertTrue(m.matches(), "a sample with the pool label: " + line);
                assertTrue(types.containsKey(m.group(1)), "TYPE declared for " + m.group(1));
            }
        }
        assertEquals("# EOF", lines[lines.length - 2]);
        for (String fpm : List.of("phpfpm_up", "phpfpm_start_since", "phpfpm_accepted_connections",
                "phpfpm_listen_queue", "phpfpm_max_listen_queue", "phpfpm_listen_queue_length",
                "phpfpm_idle_processes", "phpfpm_active_processes", "phpfpm_total_processes",
                "phpfpm_max_active_processes", "phpfpm_max_children_reached", "phpfpm_slow_requests")) {
            assertTrue(types.containsKey(fpm), fpm);
        }
    }

    @Test
    @DisplayName("format by presence of a query key, precedence html > xml > json > openmetrics > text")
    void formatSelection() {
        assertEquals(StatusFormat.TEXT, StatusFormat.of(""));
        assertEquals(StatusFormat.TEXT, StatusFormat.of(null));
        assertEquals(StatusFormat.TEXT, StatusFormat.of("full"));
        assertEquals(StatusFormat.JSON, StatusFormat.of("json"));
        assertEquals(StatusFormat.JSON, StatusFormat.of("full&json="));
        assertEquals(StatusFormat.XML, StatusFormat.of("json&xml"));
        assertEquals(StatusFormat.HTML, StatusFormat.of("xml&html&json&openmetrics"));
        assertEquals(StatusFormat.OPENMETRICS, StatusFormat.of("openmetrics"));
        assertEquals(StatusFormat.JSON, StatusFormat.of("openmetrics&json"));
        assertEquals(StatusFormat.TEXT, StatusFormat.of("format=json"), "a value is not a key");
        assertTrue(StatusFormat.isFull("json&full"));
        assertFalse(StatusFormat.isFull("json&fuller"));
        assertEquals("application/openmetrics-text; version=1.0.0; charset=utf-8",
                StatusFormat.OPENMETRICS.contentType());
    }
}
