package dev.fcgi.examples.interop;

import dev.fcgi.pool.DynamicStrategy;
import dev.fcgi.pool.FcgiPool;
import dev.fcgi.pool.status.StatusFormat;
import dev.fcgi.pool.status.StatusPage;
import dev.fcgi.protocol.server.FcgiHandler;
import dev.fcgi.protocol.server.FcgiRequest;
import dev.fcgi.protocol.server.FcgiResponse;
import dev.fcgi.protocol.server.FcgiServer;
import dev.fcgi.protocol.testing.Await;
import dev.fcgi.protocol.testing.MiniJson;
import dev.fcgi.protocol.testing.NginxProcess;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An {@link FcgiPool}'s status page, ping page and slowlog, seen through nginx as an FPM user sees them: nginx
 * passes {@code /status} and {@code /ping} (a nested location, as FPM's www.conf suggests: loopback only, no access
 * log) and everything else to a dynamic pool ({@code pm.max_children = 4}, {@code pm.start_servers = 4},
 * {@code pm.min_spare_servers = 1}, {@code pm.max_spare_servers = 4}, {@code request_slowlog_timeout = 1s}).
 *
 * <p>Two requests are held in their handlers (on a latch released at the end) until both are in the slowlog, and a
 * third one has been served; then the pool stands still (2 running, 2 idle: between the spare bounds, so the dynamic
 * strategy neither starts nor retires a worker) and the test fetches the status page in all five formats, each with
 * and without {@code full}, and the ping page. Each format is checked against FPM's field names, the same values
 * in every format, the per-worker blocks (state and request URI of each worker, the pids the slowlog names), FPM's
 * content types and no-cache headers. Every reply and the slowlog are written to
 * {@code fcgi-examples/target/status-samples/}.
 */
class NginxPoolStatusTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Duration SLOWLOG_TIMEOUT = Duration.ofSeconds(1);
    private static final int TRACE_DEPTH = 20;
    private static final Path SAMPLES = Path.of("target", "status-samples");

    /** FPM's www.conf advice for the status and ping pages, nested in the location that passes to the pool. */
    static final String STATUS_LOCATION =
            "location ~ ^/(status|ping)$ { allow 127.0.0.1; deny all; access_log off; fastcgi_pass fcgi_app; }";

    private static final String REPORT = "/app/report?id=1";
    private static final String EXPORT = "/app/export?id=2&fmt=csv";
    private static final String HELLO = "/hello?name=nginx";

    private static final List<String> POOL_LABELS = List.of("pool", "process manager", "start time", "start since",
            "accepted conn", "listen queue", "max listen queue", "listen queue len", "idle processes",
            "active processes", "total processes", "max active processes", "max children reached", "slow requests",
            "rejected requests", "max queue wait");
    private static final List<String> PROCESS_LABELS = List.of("pid", "state", "start time", "start since",
            "requests", "request duration", "request method", "request URI", "content length", "user", "script",
            "last request cpu", "last request memory");

    /**
     * The pool at the moment of every status fetch: 2 requests hold a worker each, 2 workers are idle, 3 were
     * busy at once (while the third request ran), 2 requests went past request_slowlog_timeout.
     */
    private static final Map<String, String> STEADY = orderedMap(
            "pool", "www",
            "process manager", "dynamic",
            "listen queue", "0",
            "max listen queue", "0",
            "listen queue len", "511",
            "idle processes", "2",
            "active processes", "2",
            "total processes", "4",
            "max active processes", "3",
            "max children reached", "0",
            "slow requests", "2",
            "rejected requests", "0",
            "max queue wait", "0");

    /** The OpenMetrics family of each steady pool field. */
    private static final Map<String, String> METRICS = orderedMap(
            "listen queue", "phpfpm_listen_queue",
            "max listen queue", "phpfpm_max_listen_queue",
            "listen queue len", "phpfpm_listen_queue_length",
            "idle processes", "phpfpm_idle_processes",
            "active processes", "phpfpm_active_processes",
            "total processes", "phpfpm_total_processes",
            "max active processes", "phpfpm_max_active_processes",
            "max children reached", "phpfpm_max_children_reached",
            "slow requests", "phpfpm_slow_requests",
            "rejected requests", "phpfpm_rejected_requests");

    private static final DateTimeFormatter TEXT_TIME =
            DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.US);
    private static final DateTimeFormatter SLOWLOG_TIME =
            DateTimeFormatter.ofPattern("dd-MMM-yyyy HH:mm:ss", Locale.ROOT);
    private static final Pattern SLOWLOG_HEADER =
            Pattern.compile("\\[(\\d{2}-[A-Z][a-z]{2}-\\d{4} \\d{2}:\\d{2}:\\d{2})]  \\[pool www] pid (\\d+)");
    private static final Pattern FRAME =
            Pattern.compile("\\[0x([0-9a-f]{16})] ([\\w$.]+)\\.([\\w$<>]+)\\(\\) ([\\w$.?]+):(-?\\d+)");
    private static final String HANDLER_FRAME = "dev.fcgi.examples.interop.NginxPoolStatusTest$App"
            + ".blockUntilReleased() NginxPoolStatusTest.java:";

    /**
     * The application each worker runs (one instance per worker): {@code /app/...} blocks until the test releases
     * it, anything else answers at once.
     */
    static final class App implements FcgiHandler {
        private final CountDownLatch entered;
        private final CountDownLatch release;

        App(CountDownLatch entered, CountDownLatch release) {
            this.entered = entered;
            this.release = release;
        }

        @Override
        public void handle(FcgiRequest request, FcgiResponse response) throws Exception {
            String path = request.scriptName();
            if (path.startsWith("/app/")) {
                blockUntilReleased();
            }
            response.contentType("text/plain");
            response.body().write(("done " + path + "\n").getBytes(UTF_8));
        }

        /** The frame the slowlog must show. */
        private void blockUntilReleased() throws InterruptedException {
            entered.countDown();
            if (!release.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("never released");
            }
        }
    }

    /** One reply through nginx. */
    private record Reply(String pathAndQuery, int status, String contentType, String expires, String cacheControl,
                         String body) {
    }

    @Test
    @DisplayName("through nginx: /status in 5 formats, with and without full, /ping, and the slowlog with a Java stack")
    void statusPingAndSlowlogThroughNginx(@TempDir Path dir) throws Exception {
        Path slowlog = dir.resolve("www.slow.log");
        CountDownLatch entered = new CountDownLatch(2);
        CountDownLatch release = new CountDownLatch(1);
        FcgiPool pool = FcgiPool.builder("www")
                .strategy(DynamicStrategy.newBuilder().maxChildren(4).startServers(4).minSpareServers(1)
                        .maxSpareServers(4).build())
                .handler(() -> new App(entered, release))
                .statusPath("/status").pingPath("/ping")
                .requestSlowlogTimeout(SLOWLOG_TIMEOUT).slowlog(slowlog).requestSlowlogTraceDepth(TRACE_DEPTH)
                .build().start();
        try (pool;
             FcgiServer server = FcgiServer.builder().listen("127.0.0.1:0").handler(pool.handler()).dispatcher(pool)
                     .build().start();
             NginxProcess nginx = NginxProcess.builder(dir.resolve("nginx")).upstream(server.localAddress())
                     .locationDirective(STATUS_LOCATION).start();
             HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                     .connectTimeout(Duration.ofSeconds(10)).build()) {
            Files.createDirectories(SAMPLES);
            Files.writeString(SAMPLES.resolve("nginx.conf"), nginx.config(), UTF_8);
            String htmlRoot = nginx.directory().toAbsolutePath().resolve("html").toString();
            try {
                // two requests that hold their workers, then one that is served at once on a third worker
                CompletableFuture<HttpResponse<String>> report = client.sendAsync(request(nginx, REPORT),
                        HttpResponse.BodyHandlers.ofString());
                CompletableFuture<HttpResponse<String>> export = client.sendAsync(request(nginx, EXPORT),
                        HttpResponse.BodyHandlers.ofString());
                assertTrue(entered.await(WAIT.toSeconds(), TimeUnit.SECONDS), () -> "both /app requests run\n"
                        + nginx.describe());
                Reply hello = fetch(client, nginx, HELLO);
                assertEquals(200, hello.status(), () -> hello.body() + nginx.describe());
                assertEquals("done /hello\n", hello.body());

                // both held requests pass request_slowlog_timeout; each entry is complete once its last frame,
                // the bottom of the worker thread's stack, is written
                Await.until(WAIT, () -> completeEntries(slowlog) == 2,
                        () -> "two complete slowlog entries in " + slowlog + ":\n" + readOrEmpty(slowlog));
                assertEquals(2, pool.status().slowRequests());

                // every status fetch: the pool stands still, and each fetch is one more accepted request
                List<String> queries = List.of("", "full", "json", "json&full", "xml", "xml&full", "html",
                        "html&full", "openmetrics", "openmetrics&full");
                Map<String, Reply> pages = new LinkedHashMap<>();
                long acceptedBefore = pool.status().acceptedConn();
                assertEquals(3, acceptedBefore, "two held requests and /hello");
                for (String query : queries) {
                    Reply reply = fetch(client, nginx, query.isEmpty() ? "/status" : "/status?" + query);
                    pages.put(query, reply);
                    Files.writeString(SAMPLES.resolve(sampleName(query)), reply.body(), UTF_8);
                }
                Reply ping = fetch(client, nginx, "/ping");
                Files.writeString(SAMPLES.resolve("ping.txt"), ping.body(), UTF_8);
                Files.writeString(SAMPLES.resolve("headers.txt"), headers(pages, ping), UTF_8);

                // headers: FPM's content type per format, and its no-cache headers, as nginx passes them on
                for (String query : queries) {
                    Reply reply = pages.get(query);
                    assertEquals(200, reply.status(), () -> reply + "\n" + nginx.describe());
                    assertEquals(StatusFormat.of(query).contentType(), reply.contentType(), query);
                    assertEquals(StatusPage.EXPIRES, reply.expires(), query);
                    assertEquals(StatusPage.CACHE_CONTROL, reply.cacheControl(), query);
                }
                assertEquals("text/plain", pages.get("").contentType());
                assertEquals("application/json", pages.get("json").contentType());
                assertEquals("text/xml", pages.get("xml").contentType());
                assertEquals("text/html", pages.get("html").contentType());
                assertEquals("application/openmetrics-text; version=1.0.0; charset=utf-8",
                        pages.get("openmetrics").contentType());
                assertEquals(200, ping.status());
                assertEquals("pong", ping.body());
                assertEquals("text/plain", ping.contentType());
                assertEquals(StatusPage.EXPIRES, ping.expires());
                assertEquals(StatusPage.CACHE_CONTROL, ping.cacheControl());

                // the workers, from json&full: pid -> request URI; then the same in every other full page
                Map<String, Object> jsonFull = MiniJson.parseObject(pages.get("json&full").body());
                Workers workers = Workers.of(jsonFull, htmlRoot);

                long accepted = acceptedBefore;
                for (String query : queries) {
                    accepted++;
                    String body = pages.get(query).body();
                    boolean full = query.contains("full");
                    switch (StatusFormat.of(query)) {
                        case TEXT -> checkText(body, full, accepted, workers);
                        case JSON -> checkJson(body, full, accepted, workers);
                        case XML -> checkXml(body, full, accepted, workers);
                        case HTML -> checkHtml(body, full, accepted, workers);
                        case OPENMETRICS -> checkOpenMetrics(body, accepted, workers);
                    }
                }
                assertEquals(accepted + 1, pool.status().acceptedConn(), "the 10 status fetches and the ping");
                assertEquals(series(pages.get("openmetrics").body()), series(pages.get("openmetrics&full").body()),
                        "full changes no OpenMetrics series");

                // the slowlog: one entry per held request, FPM's header, the worker's Java stack
                String log = Files.readString(slowlog);
                Files.writeString(SAMPLES.resolve("slowlog.txt"), log, UTF_8);
                checkSlowlog(log, workers);

                release.countDown();
                for (var future : List.of(report, export)) {
                    HttpResponse<String> done = future.get(WAIT.toSeconds(), TimeUnit.SECONDS);
                    assertEquals(200, done.statusCode(), done::body);
                    assertTrue(done.body().startsWith("done /app/"), done.body());
                }
                // the nested location took /status and /ping: they are not in nginx's access log, the rest is
                Path accessLog = nginx.directory().resolve("access.log");
                Await.until(WAIT, () -> readOrEmpty(accessLog).lines().count() == 3,
                        () -> "three lines in nginx's access log:\n" + readOrEmpty(accessLog));
                String access = readOrEmpty(accessLog);
                assertTrue(access.contains("\"GET " + REPORT + " HTTP/1.1\" 200"), access);
                assertTrue(access.contains("\"GET " + EXPORT + " HTTP/1.1\" 200"), access);
                assertTrue(access.contains("\"GET " + HELLO + " HTTP/1.1\" 200"), access);
                assertFalse(access.contains("/status") || access.contains("/ping"), access);
                assertEquals(List.of(), EchoNginx.errors(nginx), nginx::describe);
            } finally {
                release.countDown();
            }
        }
    }

    // ---- the workers the pages must show

    /** The four workers as json&full lists them; pids stay the same in every later page. */
    private record Workers(Map<Long, String> uriByPid, long reportPid, long exportPid, long helloPid, long unusedPid,
                           String htmlRoot) {

        static Workers of(Map<String, Object> jsonFull, String htmlRoot) {
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> processes = (List<Map<String, Object>>) jsonFull.get("processes");
            assertNotNull(processes, "json&full has \"processes\"");
            assertEquals(4, processes.size(), () -> "four workers: " + processes);
            Map<Long, String> uriByPid = new TreeMap<>();
            Map<String, Long> pidByUri = new HashMap<>();
            for (Map<String, Object> process : processes) {
                uriByPid.put((Long) process.get("pid"), (String) process.get("request uri"));
                pidByUri.put((String) process.get("request uri"), (Long) process.get("pid"));
            }
            assertEquals(4, uriByPid.size(), () -> "four distinct pids: " + processes);
            assertEquals(Set.of(REPORT, EXPORT, HELLO, ""), Set.copyOf(uriByPid.values()), processes::toString);
            return new Workers(uriByPid, pidByUri.get(REPORT), pidByUri.get(EXPORT), pidByUri.get(HELLO),
                    pidByUri.get(""), htmlRoot);
        }

        boolean running(long pid) {
            return pid == reportPid || pid == exportPid;
        }

        String state(long pid) {
            return running(pid) ? "Running" : "Idle";
        }

        long requests(long pid) {
            return pid == helloPid ? 1 : 0;
        }

        String method(long pid) {
            return pid == unusedPid ? "-" : "GET";
        }

        /** nginx's SCRIPT_FILENAME: $document_root$fastcgi_script_name. */
        String script(long pid) {
            String uri = uriByPid.get(pid);
            return uri.isEmpty() ? "-" : htmlRoot + uri.substring(0, uri.indexOf('?'));
        }

        /**
         * Checks one worker's fields, read as text from a page ({@code fields} keyed by FPM's label as that format
         * spells it, looked up case-insensitively); start time is checked by the caller.
         */
        void check(String format, Map<String, String> fields) {
            Map<String, String> byKey = new HashMap<>();
            fields.forEach((k, v) -> byKey.put(k.toLowerCase(Locale.ROOT).replace('-', ' '), v));
            long pid = Long.parseLong(byKey.get("pid"));
            String where = format + ", pid " + pid + ": " + fields;
            assertTrue(uriByPid.containsKey(pid), where);
            assertEquals(state(pid), byKey.get("state"), where);
            assertEquals(Long.toString(requests(pid)), byKey.get("requests"), where);
            assertEquals(method(pid), byKey.get("request method"), where);
            assertEquals(uriByPid.get(pid), byKey.get("request uri"), where);
            assertEquals("0", byKey.get("content length"), where);
            assertEquals("-", byKey.get("user"), where);
            assertEquals(script(pid), byKey.get("script"), where);
            if (requests(pid) > 0 && !running(pid)) {
                // FPM's figures for an idle worker: the thread's CPU share and the bytes it allocated
                assertTrue(byKey.get("last request cpu").matches("\\d+\\.\\d\\d"), where);
                assertTrue(Long.parseLong(byKey.get("last request memory")) > 0, where);
            } else {
                assertEquals("0.00", byKey.get("last request cpu"), where);
                assertEquals("0", byKey.get("last request memory"), where);
            }
            long duration = Long.parseLong(byKey.get("request duration"));
            if (running(pid)) {
                assertTrue(duration >= SLOWLOG_TIMEOUT.toNanos() / 1000, () -> "running past the slowlog timeout, "
                        + "in µs: " + where);
            } else {
                assertTrue(duration >= 0 && duration < WAIT.toNanos() / 1000, where);
            }
            assertTrue(Long.parseLong(byKey.get("start since")) >= 1, where);
        }
    }

    // ---- per format

    private static void checkPool(String format, Map<String, String> fields, long accepted) {
        assertEquals(STEADY.keySet().stream().toList(), STEADY.keySet().stream().filter(fields::containsKey).toList(),
                () -> format + ": " + fields);
        STEADY.forEach((label, value) -> assertEquals(value, fields.get(label), () -> format + ", " + label));
        assertEquals(Long.toString(accepted), fields.get("accepted conn"), () -> format + ": accepted conn counts "
                + "every request, this one too");
        assertTrue(Long.parseLong(fields.get("start since")) >= 1, () -> format + ": " + fields);
    }

    private static void checkText(String body, boolean full, long accepted, Workers workers) {
        String[] blocks = body.split("\n\\*{24}\n", -1);
        assertEquals(full ? 5 : 1, blocks.length, body);
        Map<String, String> pool = textFields(blocks[0], POOL_LABELS, body);
        checkPool("text", pool, accepted);
        ZonedDateTime started = ZonedDateTime.parse(pool.get("start time"), TEXT_TIME);
        assertTrue(Duration.between(started.toInstant(), Instant.now()).abs().compareTo(Duration.ofMinutes(5)) < 0,
                body);
        Set<Long> pids = new LinkedHashSet<>();
        for (int i = 1; i < blocks.length; i++) {
            Map<String, String> process = textFields(blocks[i], PROCESS_LABELS, body);
            workers.check("text", process);
            ZonedDateTime.parse(process.get("start time"), TEXT_TIME);
            pids.add(Long.parseLong(process.get("pid")));
        }
        if (full) {
            assertEquals(workers.uriByPid().keySet(), pids, body);
        }
    }

    /** {@code label:} padded to column 23, then the value; exactly FPM's labels in FPM's order. */
    private static Map<String, String> textFields(String block, List<String> labels, String body) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (String line : block.split("\n")) {
            int colon = line.indexOf(':');
            assertTrue(colon > 0, () -> "a 'label: value' line: " + line + "\n" + body);
            String label = line.substring(0, colon);
            int valueAt = Math.max(colon + 2, 22);
            assertEquals(" ".repeat(valueAt - colon - 1), line.substring(colon + 1, valueAt),
                    () -> "the value starts at column 23: '" + line + "'");
            fields.put(label, line.substring(valueAt));
        }
        assertEquals(labels, List.copyOf(fields.keySet()), body);
        return fields;
    }

    private static void checkJson(String body, boolean full, long accepted, Workers workers) {
        Map<String, Object> json = MiniJson.parseObject(body);
        List<String> keys = new ArrayList<>(POOL_LABELS);
        if (full) {
            keys.add("processes");
        }
        assertEquals(keys, List.copyOf(json.keySet()), body);
        Map<String, String> pool = new LinkedHashMap<>();
        POOL_LABELS.forEach(label -> pool.put(label, String.valueOf(json.get(label))));
        checkPool("json", pool, accepted);
        assertTrue(json.get("start time") instanceof Long, body);
        assertTrue(json.get("accepted conn") instanceof Long, body);
        assertTrue(Math.abs(Instant.now().getEpochSecond() - (Long) json.get("start time")) < 300, body);
        if (full) {
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> processes = (List<Map<String, Object>>) json.get("processes");
            Set<Long> pids = new LinkedHashSet<>();
            for (Map<String, Object> process : processes) {
                assertEquals(PROCESS_LABELS.stream().map(l -> l.toLowerCase(Locale.ROOT)).toList(),
                        List.copyOf(process.keySet()), body);
                Map<String, String> fields = new LinkedHashMap<>();
                process.forEach((k, v) -> fields.put(k, v instanceof Double d ? String.format(Locale.ROOT, "%.2f", d)
                        : String.valueOf(v)));
                workers.check("json", fields);
                assertTrue(process.get("start time") instanceof Long, body);
                pids.add((Long) process.get("pid"));
            }
            assertEquals(workers.uriByPid().keySet(), pids, body);
        }
    }

    private static void checkXml(String body, boolean full, long accepted, Workers workers) throws Exception {
        assertTrue(body.startsWith("<?xml version=\"1.0\" ?>\n<status>\n<pool>www</pool>\n"
                + "<process-manager>dynamic</process-manager>\n"), body);
        Document document = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(body.getBytes(UTF_8)));
        Element status = document.getDocumentElement();
        assertEquals("status", status.getTagName());
        List<Element> children = elements(status.getChildNodes());
        List<String> tags = new ArrayList<>(POOL_LABELS.stream().map(l -> l.replace(' ', '-')).toList());
        if (full) {
            tags.add("processes");
        }
        assertEquals(tags, children.stream().map(Element::getTagName).toList(), body);
        Map<String, String> pool = new LinkedHashMap<>();
        for (Element child : children.subList(0, POOL_LABELS.size())) {
            pool.put(child.getTagName().replace('-', ' '), child.getTextContent());
        }
        checkPool("xml", pool, accepted);
        assertTrue(Math.abs(Instant.now().getEpochSecond() - Long.parseLong(pool.get("start time"))) < 300, body);
        if (full) {
            // the query's & is escaped, and the parser gives it back
            assertTrue(body.contains("<request-uri>/app/export?id=2&amp;fmt=csv</request-uri>"), body);
            Set<Long> pids = new LinkedHashSet<>();
            for (Element process : elements(children.getLast().getChildNodes())) {
                assertEquals("process", process.getTagName());
                Map<String, String> fields = new LinkedHashMap<>();
                for (Element field : elements(process.getChildNodes())) {
                    fields.put(field.getTagName(), field.getTextContent());
                }
                assertEquals(PROCESS_LABELS.stream().map(l -> l.toLowerCase(Locale.ROOT).replace(' ', '-')).toList(),
                        List.copyOf(fields.keySet()), body);
                workers.check("xml", fields);
                pids.add(Long.parseLong(fields.get("pid")));
            }
            assertEquals(workers.uriByPid().keySet(), pids, body);
        }
    }

    private static List<Element> elements(NodeList nodes) {
        List<Element> elements = new ArrayList<>();
        for (int i = 0; i < nodes.getLength(); i++) {
            if (nodes.item(i).getNodeType() == Node.ELEMENT_NODE) {
                elements.add((Element) nodes.item(i));
            }
        }
        return elements;
    }

    private static final Pattern HTML_POOL_ROW = Pattern.compile("<tr><th>([a-z ]+)</th><td>([^<]*)</td></tr>");
    private static final Pattern HTML_CELL = Pattern.compile("<t([hd])>([^<]*)</t\\1>");

    private static void checkHtml(String body, boolean full, long accepted, Workers workers) {
        assertTrue(body.startsWith("<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Strict//EN\" "), body);
        assertTrue(body.contains("<head><title>PHP-FPM Status Page</title></head>"), body);
        assertTrue(body.endsWith("</body></html>\n"), body);
        Map<String, String> pool = new LinkedHashMap<>();
        Matcher row = HTML_POOL_ROW.matcher(body);
        while (row.find()) {
            pool.put(row.group(1), unescape(row.group(2)));
        }
        assertEquals(POOL_LABELS, List.copyOf(pool.keySet()), body);
        checkPool("html", pool, accepted);
        ZonedDateTime.parse(pool.get("start time"), TEXT_TIME);
        assertEquals(full, body.contains("<table border=\"1\">"), body);
        if (full) {
            String table = body.substring(body.indexOf("<table border=\"1\">"));
            List<String> rows = table.lines().filter(l -> l.startsWith("<tr>")).toList();
            assertEquals(5, rows.size(), table);
            List<String> header = cells(rows.getFirst(), "h");
            assertEquals(PROCESS_LABELS.stream().map(l -> l.toLowerCase(Locale.ROOT)).toList(), header, table);
            Set<Long> pids = new LinkedHashSet<>();
            for (String line : rows.subList(1, rows.size())) {
                List<String> cells = cells(line, "d");
                Map<String, String> fields = new LinkedHashMap<>();
                for (int i = 0; i < header.size(); i++) {
                    fields.put(header.get(i), unescape(cells.get(i)));
                }
                workers.check("html", fields);
                ZonedDateTime.parse(fields.get("start time"), TEXT_TIME);
                pids.add(Long.parseLong(fields.get("pid")));
            }
            assertEquals(workers.uriByPid().keySet(), pids, body);
            assertTrue(table.contains("<td>/app/export?id=2&amp;fmt=csv</td>"), table);
        }
    }

    private static List<String> cells(String row, String kind) {
        List<String> cells = new ArrayList<>();
        Matcher m = HTML_CELL.matcher(row);
        while (m.find()) {
            assertEquals(kind, m.group(1), row);
            cells.add(m.group(2));
        }
        return cells;
    }

    private static String unescape(String s) {
        return s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'")
                .replace("&amp;", "&");
    }

    private static final Pattern SAMPLE = Pattern.compile("([a-z_]+)\\{([^}]*)} (\\S+)");

    private static void checkOpenMetrics(String body, long accepted, Workers workers) {
        assertTrue(body.endsWith("\n# EOF\n"), body);
        assertTrue(body.startsWith("# HELP phpfpm_up Could pool www using a dynamic PM on PHP-FPM be reached?\n"
                + "# TYPE phpfpm_up gauge\nphpfpm_up{pool=\"www\"} 1\n"), body);
        Map<String, String> samples = new LinkedHashMap<>();
        for (String line : body.split("\n")) {
            if (line.startsWith("#")) {
                assertTrue(line.startsWith("# HELP ") || line.startsWith("# TYPE ") || line.equals("# EOF"), line);
                continue;
            }
            Matcher m = SAMPLE.matcher(line);
            assertTrue(m.matches(), () -> "a sample: " + line);
            assertTrue(m.group(2).startsWith("pool=\"www\""), () -> "the pool label on every sample: " + line);
            samples.put(m.group(1) + '{' + m.group(2) + '}', m.group(3));
        }
        String pool = "{pool=\"www\"}";
        METRICS.forEach((label, name) -> assertEquals(STEADY.get(label), samples.get(name + pool),
                () -> name + "\n" + body));
        assertEquals(Long.toString(accepted), samples.get("phpfpm_accepted_connections" + pool), body);
        assertTrue(Long.parseLong(samples.get("phpfpm_start_since" + pool)) >= 1, body);
        assertEquals("0.0", samples.get("phpfpm_max_queue_wait_seconds" + pool), body);
        for (long pid : workers.uriByPid().keySet()) {
            String labels = "{pool=\"www\",pid=\"" + pid + "\"";
            assertEquals(Long.toString(workers.requests(pid)), samples.get("phpfpm_process_requests" + labels + "}"),
                    body);
            long duration = Long.parseLong(samples.get("phpfpm_process_request_duration" + labels + "}"));
            assertTrue(!workers.running(pid) || duration >= SLOWLOG_TIMEOUT.toNanos() / 1000, body);
            for (String state : List.of("Starting", "Idle", "Reading headers", "Running", "Finishing",
                    "Retiring")) {
                assertEquals(state.equals(workers.state(pid)) ? "1" : "0",
                        samples.get("phpfpm_process_state" + labels + ",state=\"" + state + "\"}"),
                        () -> pid + " " + state + "\n" + body);
            }
        }
        assertEquals(4 * 8, samples.keySet().stream().filter(k -> k.contains(",pid=\"")).count(),
                "per worker: requests, request duration and 6 states");
    }

    /** The series of an OpenMetrics page (names and labels, no values), in order. */
    private static List<String> series(String body) {
        return body.lines().filter(l -> !l.startsWith("#")).map(l -> l.substring(0, l.lastIndexOf(' '))).toList();
    }

    // ---- the slowlog

    /** Entries whose stack is written down to the worker thread's bottom frame (or to the trace depth). */
    private static int completeEntries(Path slowlog) {
        String log = readOrEmpty(slowlog);
        int complete = 0;
        for (String entry : log.split("\n(?=\\[\\d{2}-)")) {
            List<String> frames = entry.lines().filter(l -> l.startsWith("[0x")).toList();
            if (entry.endsWith("\n") && (frames.size() == TRACE_DEPTH
                    || (!frames.isEmpty() && frames.getLast().contains(" java.lang.Thread.run() ")))) {
                complete++;
            }
        }
        return complete;
    }

    private static void checkSlowlog(String log, Workers workers) {
        assertTrue(log.startsWith("\n["), () -> "FPM starts each entry with a blank line:\n" + log);
        List<String> entries = List.of(log.substring(1).split("\n\n", -1));
        assertEquals(2, entries.size(), log);
        Set<Long> pids = new LinkedHashSet<>();
        for (String entry : entries) {
            List<String> lines = entry.lines().toList();
            Matcher header = SLOWLOG_HEADER.matcher(lines.get(0));
            assertTrue(header.matches(), () -> "[dd-Mon-yyyy HH:mm:ss]  [pool www] pid N: " + lines.get(0));
            LocalDateTime at = LocalDateTime.parse(header.group(1), SLOWLOG_TIME);
            assertTrue(Duration.between(at, LocalDateTime.now()).abs().compareTo(Duration.ofMinutes(5)) < 0, entry);
            long pid = Long.parseLong(header.group(2));
            pids.add(pid);
            assertTrue(workers.running(pid), () -> "the slowlog names a worker the status page shows running: "
                    + entry);
            assertEquals("script_filename = " + workers.script(pid), lines.get(1), entry);
            List<String> frames = lines.subList(2, lines.size());
            assertTrue(frames.size() <= TRACE_DEPTH, entry);
            int handler = -1;
            int await = -1;
            for (int i = 0; i < frames.size(); i++) {
                Matcher frame = FRAME.matcher(frames.get(i));
                int n = i;
                assertTrue(frame.matches(), () -> "frame " + n + ": " + frames.get(n));
                assertEquals(i, Integer.parseInt(frame.group(1), 16), entry);
                if (frames.get(i).contains(" " + HANDLER_FRAME)) {
                    handler = i;
                }
                if (frames.get(i).contains(" java.util.concurrent.CountDownLatch.await() CountDownLatch.java:")) {
                    await = i;
                }
            }
            assertTrue(handler > 0, () -> "the handler's frame " + HANDLER_FRAME + "\n" + entry);
            assertEquals(handler - 1, await, () -> "the latch it waits on, just above it\n" + entry);
            assertTrue(frames.get(handler + 1).contains(" dev.fcgi.examples.interop.NginxPoolStatusTest$App.handle() "),
                    entry);
            assertTrue(frames.stream().anyMatch(f -> f.contains(" dev.fcgi.pool.FcgiPool.")), entry);
        }
        assertEquals(Set.of(workers.reportPid(), workers.exportPid()), pids, log);
    }

    // ---- helpers

    private static HttpRequest request(NginxProcess nginx, String pathAndQuery) {
        return HttpRequest.newBuilder(nginx.uri(pathAndQuery)).timeout(WAIT).GET().build();
    }

    private static Reply fetch(HttpClient client, NginxProcess nginx, String pathAndQuery) throws Exception {
        HttpResponse<String> response = client.send(request(nginx, pathAndQuery),
                HttpResponse.BodyHandlers.ofString());
        return new Reply(pathAndQuery, response.statusCode(),
                response.headers().firstValue("Content-Type").orElse(null),
                response.headers().firstValue("Expires").orElse(null),
                response.headers().firstValue("Cache-Control").orElse(null), response.body());
    }

    private static String sampleName(String query) {
        String format = StatusFormat.of(query).name().toLowerCase(Locale.ROOT);
        String extension = switch (StatusFormat.of(query)) {
            case JSON -> "json";
            case XML -> "xml";
            case HTML -> "html";
            default -> "txt";
        };
        return "status-" + format + (query.contains("full") ? "-full" : "") + "." + extension;
    }

    private static String headers(Map<String, Reply> pages, Reply ping) {
        StringBuilder out = new StringBuilder();
        List<Reply> replies = new ArrayList<>(pages.values());
        replies.add(ping);
        for (Reply reply : replies) {
            out.append("GET ").append(reply.pathAndQuery()).append(" -> ").append(reply.status())
                    .append("\n  Content-Type: ").append(reply.contentType())
                    .append("\n  Expires: ").append(reply.expires())
                    .append("\n  Cache-Control: ").append(reply.cacheControl()).append('\n');
        }
        return out.toString();
    }

    private static String readOrEmpty(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            return "";
        }
    }

    private static Map<String, String> orderedMap(String... keysAndValues) {
        Map<String, String> map = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            map.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return map;
    }
}
