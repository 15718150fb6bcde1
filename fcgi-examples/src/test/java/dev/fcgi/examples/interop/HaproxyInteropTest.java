package dev.fcgi.examples.interop;

import dev.fcgi.protocol.server.FcgiHandler;
import dev.fcgi.protocol.server.FcgiRequest;
import dev.fcgi.protocol.server.FcgiResponse;
import dev.fcgi.protocol.server.FcgiServer;
import dev.fcgi.protocol.testing.Await;
import dev.fcgi.protocol.testing.ExternalTools;
import dev.fcgi.protocol.testing.Sha256;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.fcgi.examples.interop.FcgiTap.Direction.TO_APP;
import static dev.fcgi.examples.interop.FcgiTap.Direction.TO_WEB_SERVER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * HAProxy 2.6's FastCGI client ({@code fcgi-app}, {@code proto fcgi}) in front of the echo server (in this JVM),
 * through an {@link FcgiTap} that notes every record: spec item 62, "GET_VALUES at connect, multiplexing with
 * {@code mpxs-conns}/{@code max-reqs}, request ids that only grow, ABORT_REQUEST sent on client abort".
 *
 * <p>What HAProxy 2.6 does, as these tests found it (and its mux_fcgi.c confirms):
 * <ul>
 * <li>{@code option get-values} is off by default; with it, GET_VALUES (FCGI_MAX_REQS, FCGI_MPXS_CONNS) is the
 *     first record of every connection, but HAProxy does not wait for the answer: requests follow at once, up to
 *     {@code option max-reqs} of them, even without {@code option mpxs-conns}. A server that does not multiplex
 *     answers the extra ones FCGI_CANT_MPX_CONN, which HAProxy then leaves unanswered until {@code timeout
 *     server} (504). Without mpxs-conns, keep max-reqs at its default, 1.</li>
 * <li>The GET_VALUES_RESULT's FCGI_MAX_REQS replaces {@code option max-reqs} as the limit of requests on that
 *     connection (FCGI_MPXS_CONNS=0 sets it to 1).</li>
 * <li>{@code http-reuse always} is needed for concurrent clients to share a connection (with the default
 *     {@code safe}, the first request of every HTTP connection gets a FastCGI connection of its own).</li>
 * <li>ABORT_REQUEST is sent only while the request's STDIN is still going out (a client gone mid-upload).
 *     Once the empty STDIN was sent, a client's abort only makes HAProxy forget the stream: the handler runs to
 *     its end and its answer is dropped. HAProxy's HTTP/1 side does not even notice a client that closes while
 *     it waits for the response (it finds out when it writes).</li>
 * </ul>
 */
class HaproxyInteropTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final int MAX_REQS = 10;
    /** httplog: {@code ... web app/s1 Tq/Tw/Tc/Tr/Ta STATUS BYTES - - TERM ... "METHOD URI HTTP/x"}. */
    private static final Pattern ACCESS_LINE = Pattern.compile(
            "\\] web app/s1 \\S+ (-?\\d+) \\S+ \\S+ \\S+ (\\S{4}) .*\"(\\S+) (\\S+) [^\"]*\"$");

    @Test
    @DisplayName("spec 62: HAProxy asks GET_VALUES at connect (answered FCGI_MPXS_CONNS=1); a GET and a 5 MB POST")
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void getValuesGetAndLargePost(@TempDir Path dir) throws Exception {
        try (HttpClient client = httpClient();
             FcgiServer server = FcgiServer.builder().handler(new RecordingEchoHandler()).listen("127.0.0.1:0")
                     .build().start();
             FcgiTap tap = FcgiTap.start((InetSocketAddress) server.localAddress());
             PeerProcess haproxy = startHaproxy(dir, tap.port(), true, MAX_REQS)) {
            HttpResponse<String> got = client.send(HttpRequest.newBuilder(haproxy.uri("/hap/get?alpha=1&beta=two"))
                    .timeout(TIMEOUT).header("X-Interop-Test", "hello haproxy").GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, got.statusCode(), () -> got.body() + "\n" + haproxy.describe());
            assertEquals("application/json", got.headers().firstValue("Content-Type").orElse(null));
            EchoReply get = EchoReply.parse(got.body());
            assertEquals("RESPONDER", get.role());
            assertEquals("GET", get.param("REQUEST_METHOD"));
            assertEquals("/hap/get?alpha=1&beta=two", get.param("REQUEST_URI"));
            assertEquals("alpha=1&beta=two", get.param("QUERY_STRING"));
            assertEquals("/hap/get", get.param("SCRIPT_NAME"));
            assertEquals("hello haproxy", get.param("HTTP_X_INTEROP_TEST"));
            assertTrue(get.param("SERVER_SOFTWARE").startsWith("HAProxy"), get.param("SERVER_SOFTWARE"));
            assertNull(get.param("ECHO_SLEEP_MS"), "set-param ... if { url_param(echo_sleep_ms) -m found }");
            assertTrue(get.keepConn(), "HAProxy keeps its FastCGI connections (FCGI_KEEP_CONN)");
            assertEquals(0, get.stdinLength());

            byte[] body = new byte[5 * 1024 * 1024];
            new Random(62).nextBytes(body);
            HttpResponse<String> posted = client.send(HttpRequest.newBuilder(haproxy.uri("/hap/post?size=5m"))
                    .timeout(TIMEOUT).header("Content-Type", "application/octet-stream")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, posted.statusCode(), () -> posted.body() + "\n" + haproxy.describe());
            EchoReply post = EchoReply.parse(posted.body());
            assertEquals("POST", post.param("REQUEST_METHOD"));
            assertEquals(Integer.toString(body.length), post.param("CONTENT_LENGTH"));
            assertEquals("application/octet-stream", post.param("CONTENT_TYPE"));
            assertEquals(body.length, post.stdinLength());
            assertEquals(Sha256.hex(body), post.stdinSha256());

            assertGetValuesAtConnect(tap, "1");
            assertRequestIdsOnlyGrow(tap);
            assertEquals(List.of(), endRequestsNotComplete(tap), tap::describe);
            assertEquals(List.of(), tap.problems(), tap::describe);
            awaitAccessLines(haproxy, 2);
            assertEquals(List.of(), haproxyErrors(haproxy, false), haproxy::describe);
        }
    }

    @Test
    @DisplayName("spec 62: HAProxy with mpxs-conns multiplexes 20 concurrent requests on fewer connections, request "
            + "ids growing; set-param passes ECHO_SLEEP_MS")
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void concurrentRequestsAreMultiplexed(@TempDir Path dir) throws Exception {
        int requests = 20;
        try (GatedEchoHandler handler = new GatedEchoHandler();
             HttpClient client = httpClient();
             FcgiServer server = FcgiServer.builder().handler(handler).listen("127.0.0.1:0").build().start();
             FcgiTap tap = FcgiTap.start((InetSocketAddress) server.localAddress());
             PeerProcess haproxy = startHaproxy(dir, tap.port(), true, MAX_REQS)) {
            List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
            for (int i = 0; i < requests; i++) {
                responses.add(client.sendAsync(HttpRequest.newBuilder(haproxy.uri("/gate/" + i + "?echo_sleep_ms=300"))
                        .timeout(TIMEOUT).GET().build(), HttpResponse.BodyHandlers.ofString()));
            }
            // every request waits in the handler until all of them are there: they run at the same time
            Await.until(TIMEOUT, () -> handler.waiting() == requests,
                    () -> "all " + requests + " requests in the handler at once; waiting: " + handler.waiting()
                            + ", connections: " + server.connectionCount() + "\n" + tap.describe()
                            + haproxy.describe());
            int connections = server.connectionCount();
            handler.open();
            Map<Long, Integer> requestIds = new HashMap<>();
            for (int i = 0; i < requests; i++) {
                HttpResponse<String> response = responses.get(i).get(2, TimeUnit.MINUTES);
                int index = i;
                assertEquals(200, response.statusCode(), () -> "request " + index + ": " + response.body() + "\n"
                        + haproxy.describe());
                EchoReply reply = EchoReply.parse(response.body());
                assertEquals("/gate/" + i + "?echo_sleep_ms=300", reply.param("REQUEST_URI"));
                assertEquals("300", reply.param("ECHO_SLEEP_MS"), "set-param from the query string");
                assertTrue(reply.keepConn());
                requestIds.merge(reply.requestId(), 1, Integer::sum);
            }
            String described = "connections while all ran: " + connections + ", request ids: " + requestIds + "\n"
                    + tap.describe();
            System.out.println("HaproxyInteropTest: " + requests + " concurrent requests on " + connections
                    + " FastCGI connection(s), most at once per connection " + maxConcurrencyPerConnection(tap)
                    + ", request ids " + new java.util.TreeMap<>(requestIds));
            assertTrue(connections < requests, () -> "fewer FastCGI connections than requests; " + described);
            assertTrue(requestIds.keySet().stream().anyMatch(id -> id != 1),
                    () -> "request ids other than 1 on a multiplexed connection; " + described);
            Map<Integer, Integer> concurrency = maxConcurrencyPerConnection(tap);
            assertTrue(concurrency.values().stream().anyMatch(n -> n > 1),
                    () -> "several requests at once on one connection: " + concurrency + "; " + described);
            assertGetValuesAtConnect(tap, "1");
            assertRequestIdsOnlyGrow(tap);
            assertEquals(List.of(), endRequestsNotComplete(tap), tap::describe);
            assertEquals(List.of(), tap.problems(), tap::describe);
            awaitAccessLines(haproxy, requests);
            assertEquals(List.of(), haproxyErrors(haproxy, false), haproxy::describe);
        }
    }

    @Test
    @DisplayName("spec 62: without mpxs-conns, HAProxy still asks GET_VALUES (answered FCGI_MPXS_CONNS=0 by a server "
            + "that does not multiplex) and sends one request at a time per connection")
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void withoutMultiplexingOneRequestPerConnection(@TempDir Path dir) throws Exception {
        int requests = 5;
        try (GatedEchoHandler handler = new GatedEchoHandler();
             HttpClient client = httpClient();
             FcgiServer server = FcgiServer.builder().handler(handler).maxRequestsPerConnection(1)
                     .listen("127.0.0.1:0").build().start();
             FcgiTap tap = FcgiTap.start((InetSocketAddress) server.localAddress());
             PeerProcess haproxy = startHaproxy(dir, tap.port(), false, null)) {
            List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
            for (int i = 0; i < requests; i++) {
                responses.add(client.sendAsync(HttpRequest.newBuilder(haproxy.uri("/gate/" + i)).timeout(TIMEOUT)
                        .GET().build(), HttpResponse.BodyHandlers.ofString()));
            }
            Await.until(TIMEOUT, () -> handler.waiting() == requests,
                    () -> "all " + requests + " requests in the handler at once; waiting: " + handler.waiting()
                            + ", connections: " + server.connectionCount() + "\n" + tap.describe()
                            + haproxy.describe());
            assertEquals(requests, server.connectionCount(), tap::describe);
            handler.open();
            for (int i = 0; i < requests; i++) {
                HttpResponse<String> response = responses.get(i).get(2, TimeUnit.MINUTES);
                assertEquals(200, response.statusCode(), () -> response.body() + "\n" + haproxy.describe());
                assertEquals("/gate/" + i, EchoReply.parse(response.body()).param("REQUEST_URI"));
            }
            assertGetValuesAtConnect(tap, "0");
            Map<Integer, Integer> concurrency = maxConcurrencyPerConnection(tap);
            assertTrue(concurrency.values().stream().allMatch(n -> n == 1), () -> concurrency + "\n" + tap.describe());
            assertEquals(List.of(), endRequestsNotComplete(tap), "no FCGI_CANT_MPX_CONN\n" + tap.describe());
            assertEquals(List.of(), tap.problems(), tap::describe);
            awaitAccessLines(haproxy, requests);
            assertEquals(List.of(), haproxyErrors(haproxy, false), haproxy::describe);
        }
    }

    @Test
    @DisplayName("spec 62, 42: a client that goes away mid-upload makes HAProxy send ABORT_REQUEST (or close the "
            + "connection), which ends the handler's body read at once; the next request works")
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void clientAbortMidUploadSendsAbortRequest(@TempDir Path dir) throws Exception {
        try (HttpClient client = httpClient();
             FcgiServer server = FcgiServer.builder().handler(new RecordingEchoHandler()).listen("127.0.0.1:0")
                     .build().start();
             FcgiTap tap = FcgiTap.start((InetSocketAddress) server.localAddress());
             PeerProcess haproxy = startHaproxy(dir, tap.port(), true, MAX_REQS)) {
            long aborted;
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), haproxy.port()), 10_000);
                OutputStream out = socket.getOutputStream();
                out.write(("POST /upload?echo_sleep_ms=10000 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        + "Content-Type: application/octet-stream\r\nContent-Length: 10000000\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                out.write(new byte[1 << 20]);
                out.flush();
                // the handler runs and reads the body, which HAProxy passes on as it comes
                Await.until(Duration.ofSeconds(30), () -> server.activeRequestCount() == 1
                                && tap.records(TO_APP, FcgiTap.STDIN).stream().anyMatch(r -> r.contentLength() > 0),
                        () -> "the request and some of its body reached the server\n" + tap.describe()
                                + haproxy.describe());
                aborted = System.nanoTime();
            }
            // without ABORT_REQUEST the body read would wait for the server's 60 s body read timeout
            Await.until(Duration.ofSeconds(10), () -> server.activeRequestCount() == 0,
                    () -> "the handler's body read ended by ABORT_REQUEST; active: " + server.activeRequestCount()
                            + "\n" + tap.describe() + haproxy.describe());
            long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - aborted);
            List<FcgiTap.Record> begins = tap.records(TO_APP, FcgiTap.BEGIN_REQUEST);
            assertEquals(1, begins.size(), tap::describe);
            List<FcgiTap.Record> aborts = tap.records(TO_APP, FcgiTap.ABORT_REQUEST);
            String cutRecord = null;
            if (aborts.isEmpty()) {
                // HAProxy may instead close the FastCGI connection (it does so in some runs, depending on where
                // the upload stood), possibly in the middle of a STDIN record; spec 42: the server then aborts
                // the request just the same
                int connection = begins.get(0).connection();
                assertTrue(tap.closedByWebServer(connection),
                        () -> "neither ABORT_REQUEST nor a closed connection\n" + tap.describe());
                cutRecord = "#" + connection + " " + TO_APP + ": ";
            } else {
                assertEquals(1, aborts.size(), tap::describe);
                assertEquals(begins.get(0).requestId(), aborts.get(0).requestId(), tap::describe);
                assertEquals(begins.get(0).connection(), aborts.get(0).connection(), tap::describe);
            }
            assertTrue(tookMillis < 10_000, "ended " + tookMillis + " ms after the client closed");

            HttpResponse<String> next = client.send(HttpRequest.newBuilder(haproxy.uri("/after-abort?x=1"))
                    .timeout(TIMEOUT).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, next.statusCode(), () -> next.body() + "\n" + haproxy.describe());
            assertEquals("/after-abort?x=1", EchoReply.parse(next.body()).param("REQUEST_URI"));
            assertRequestIdsOnlyGrow(tap);
            String closedMidRecord = cutRecord;
            List<String> problems = tap.problems().stream()
                    .filter(p -> closedMidRecord == null || !(p.startsWith(closedMidRecord)
                            && p.endsWith("of an unfinished record when the connection ended")))
                    .toList();
            assertEquals(List.of(), problems, tap::describe);
            awaitAccessLines(haproxy, 2);
            assertEquals(List.of(), haproxyErrors(haproxy, true), haproxy::describe);
            List<String> uploadLines = haproxy.stderr().lines().filter(line -> line.contains("/upload?")).toList();
            assertTrue(uploadLines.size() == 1 && termination(uploadLines.get(0)).startsWith("C"),
                    () -> "HAProxy logs the upload as aborted by the client (termination state C...): "
                            + uploadLines);
        }
    }

    @Test
    @DisplayName("spec 62: an HTTP/2 client cancels (RST_STREAM) after the whole request went out: HAProxy drops the "
            + "stream, the handler's late answer is discarded and the next requests work")
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void clientCancelAfterTheRequestWentOut(@TempDir Path dir) throws Exception {
        try (HttpClient client = httpClient();
             FcgiServer server = FcgiServer.builder().handler(new RecordingEchoHandler()).listen("127.0.0.1:0")
                     .build().start();
             FcgiTap tap = FcgiTap.start((InetSocketAddress) server.localAddress());
             PeerProcess haproxy = startHaproxy(dir, tap.port(), true, MAX_REQS)) {
            try (Socket h2 = new Socket()) {
                h2.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), haproxy.port(1)), 10_000);
                OutputStream out = h2.getOutputStream();
                out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.write(h2Frame(4, 0, 0, new byte[0])); // SETTINGS
                out.write(h2Frame(1, 0x5, 1, h2GetHeaders("/cancel?echo_sleep_ms=2000",
                        "127.0.0.1:" + haproxy.port(1)))); // HEADERS, END_STREAM | END_HEADERS
                out.flush();
                Await.until(Duration.ofSeconds(30), () -> server.activeRequestCount() == 1
                                && tap.records(TO_APP, FcgiTap.STDIN).stream().anyMatch(r -> r.contentLength() == 0),
                        () -> "the whole request (with its empty STDIN) reached the server\n" + tap.describe()
                                + haproxy.describe());
                out.write(h2Frame(3, 0, 1, new byte[] {0, 0, 0, 8})); // RST_STREAM, CANCEL
                out.flush();
                // HAProxy 2.6 sends ABORT_REQUEST only while it still sends STDIN (mux_fcgi.c: not once
                // FCGI_SF_ES_SENT): the handler sleeps its 2 s and answers a stream HAProxy has forgotten
                Await.until(Duration.ofSeconds(30), () -> server.activeRequestCount() == 0,
                        () -> "the cancelled request ended; active: " + server.activeRequestCount() + "\n"
                                + tap.describe() + haproxy.describe());
                Await.until(Duration.ofSeconds(30), () -> haproxy.stderr().contains("/cancel?"),
                        () -> "HAProxy logged the cancelled request\n" + haproxy.describe());
            }
            System.out.println("HaproxyInteropTest: ABORT_REQUEST records after the HTTP/2 client's RST_STREAM: "
                    + tap.records(TO_APP, FcgiTap.ABORT_REQUEST).size());
            for (int i = 0; i < 3; i++) {
                HttpResponse<String> next = client.send(HttpRequest.newBuilder(haproxy.uri("/after-cancel?n=" + i))
                        .timeout(TIMEOUT).GET().build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, next.statusCode(), () -> next.body() + "\n" + haproxy.describe());
                assertEquals("/after-cancel?n=" + i, EchoReply.parse(next.body()).param("REQUEST_URI"));
            }
            assertRequestIdsOnlyGrow(tap);
            assertEquals(List.of(), endRequestsNotComplete(tap), tap::describe);
            assertEquals(List.of(), tap.problems(), tap::describe);
            awaitAccessLines(haproxy, 4);
            assertEquals(List.of(), haproxyErrors(haproxy, true), haproxy::describe);
        }
    }

    @Test
    @DisplayName("spec 62, 21: HAProxy takes FCGI_MAX_REQS from GET_VALUES_RESULT as its limit per connection; the "
            + "server answers what one connection accepts (maxRequestsPerConnection), so none of HAProxy's requests "
            + "gets FCGI_OVERLOADED and all are answered 200")
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void maxReqsAnswerIsWhatOneConnectionAccepts(@TempDir Path dir) throws Exception {
        int perConnection = 4;
        int requests = 8;
        try (GatedEchoHandler handler = new GatedEchoHandler();
             HttpClient client = httpClient();
             FcgiServer server = FcgiServer.builder().handler(handler).maxRequestsPerConnection(perConnection)
                     .listen("127.0.0.1:0").build().start();
             FcgiTap tap = FcgiTap.start((InetSocketAddress) server.localAddress());
             PeerProcess haproxy = startHaproxy(dir, tap.port(), true, perConnection)) {
            // one request first: HAProxy's connection then has the server's GET_VALUES_RESULT
            HttpResponse<String> first = client.send(HttpRequest.newBuilder(haproxy.uri("/first")).timeout(TIMEOUT)
                    .GET().build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, first.statusCode(), () -> first.body() + "\n" + haproxy.describe());
            Map<String, String> answer = tap.records(TO_WEB_SERVER, FcgiTap.GET_VALUES_RESULT).get(0).nameValues();

            List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
            for (int i = 0; i < requests; i++) {
                responses.add(client.sendAsync(HttpRequest.newBuilder(haproxy.uri("/gate/" + i)).timeout(TIMEOUT)
                        .GET().build(), HttpResponse.BodyHandlers.ofString()));
            }
            Await.until(TIMEOUT, () -> handler.waiting() + overloaded(tap).size() == requests,
                    () -> "every request in the handler or refused; waiting: " + handler.waiting() + "\n"
                            + tap.describe() + haproxy.describe());
            List<FcgiTap.Record> refused = overloaded(tap);
            handler.open();
            // HAProxy 2.6 answers a request refused with FCGI_OVERLOADED only at its "timeout server" (60 s, 504)
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            List<String> outcomes = new ArrayList<>();
            for (int i = 0; i < requests; i++) {
                try {
                    long left = Math.max(1, deadline - System.nanoTime());
                    outcomes.add(Integer.toString(responses.get(i).get(left, TimeUnit.NANOSECONDS).statusCode()));
                } catch (TimeoutException e) {
                    outcomes.add("no answer within 10 s");
                } catch (ExecutionException e) {
                    outcomes.add(e.getCause().toString());
                }
            }
            assertEquals(List.of(), refused, () -> "HAProxy (option max-reqs " + perConnection
                    + ") put more than " + perConnection + " requests on one connection after the server's "
                    + "GET_VALUES_RESULT said " + answer + "; FCGI_MAX_REQS should be what one connection accepts ("
                    + perConnection + "). HTTP outcomes: " + outcomes + "\n" + tap.describe() + haproxy.describe());
            assertEquals(java.util.Collections.nCopies(requests, "200"), outcomes, () -> tap.describe()
                    + haproxy.describe());
            assertTrue(maxConcurrencyPerConnection(tap).values().stream().allMatch(n -> n <= perConnection),
                    tap::describe);
        }
    }

    /** END_REQUEST records with FCGI_OVERLOADED. */
    private static List<FcgiTap.Record> overloaded(FcgiTap tap) {
        return tap.records(TO_WEB_SERVER, FcgiTap.END_REQUEST).stream().filter(r -> r.protocolStatus() == 2).toList();
    }

    // ---- HAProxy

    /**
     * HAProxy on two free ports (HTTP/1.1 on the first, HTTP/2 with prior knowledge on the second), logging
     * requests (httplog) and FCGI_STDERR to its standard error, passing everything to the FastCGI server on
     * {@code fcgiPort}, with GET_VALUES on, {@code option mpxs-conns} as {@code mpxsConns} says and
     * {@code option max-reqs} when {@code maxReqs} is not null (HAProxy's default is 1). One thread
     * ({@code nbthread 1}), so that every request sees the same idle and available connections.
     */
    private static PeerProcess startHaproxy(Path dir, int fcgiPort, boolean mpxsConns, Integer maxReqs)
            throws IOException {
        String haproxy = ExternalTools.require("haproxy");
        Path home = dir.resolve("haproxy");
        return PeerProcess.start("haproxy", home, "haproxy.cfg", 2, ports -> """
                # written by %s
                global
                    log stderr format raw local0 info
                    maxconn 512
                    nbthread 1
                defaults
                    mode http
                    log global
                    option httplog
                    option dontlognull
                    timeout connect 10s
                    timeout client 60s
                    timeout server 60s
                fcgi-app echo
                    docroot %s
                    option get-values
                    %soption mpxs-conns
                    %s
                    set-param ECHO_SLEEP_MS %%[url_param(echo_sleep_ms)] if { url_param(echo_sleep_ms) -m found }
                    log-stderr global
                frontend web
                    bind 127.0.0.1:%d
                    bind 127.0.0.1:%d proto h2
                    default_backend app
                backend app
                    http-reuse always
                    use-fcgi-app echo
                    server s1 127.0.0.1:%d proto fcgi
                """.formatted(HaproxyInteropTest.class.getName(), home, mpxsConns ? "" : "no ",
                        maxReqs == null ? "# option max-reqs: the default" : "option max-reqs " + maxReqs, ports[0],
                        ports[1], fcgiPort),
                config -> List.of(haproxy, "-f", config.toString(), "-db"), null);
    }

    private static HttpClient httpClient() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10))
                .build();
    }

    /** HAProxy logs a request when it ends, which may be just after the client has the response. */
    private static void awaitAccessLines(PeerProcess haproxy, int count) {
        Await.until(Duration.ofSeconds(30),
                () -> haproxy.stderr().lines().filter(line -> ACCESS_LINE.matcher(line).find()).count() >= count,
                () -> count + " access log lines\n" + haproxy.describe());
    }

    /**
     * HAProxy's [ALERT] and [WARNING] lines, and the access log lines of requests that did not end well: a status
     * other than 200, or a termination state other than "----" (a state starting with C, the client's abort, is
     * allowed when {@code clientAbortsAllowed}).
     */
    private static List<String> haproxyErrors(PeerProcess haproxy, boolean clientAbortsAllowed) {
        List<String> errors = new ArrayList<>();
        for (String line : haproxy.stderr().lines().toList()) {
            Matcher access = ACCESS_LINE.matcher(line);
            if (line.contains("[ALERT]") || line.contains("[WARNING]")) {
                errors.add(line);
            } else if (access.find()) {
                String termination = access.group(2);
                boolean clientAbort = clientAbortsAllowed && termination.startsWith("C");
                if (!clientAbort && (!access.group(1).equals("200") || !termination.equals("----"))) {
                    errors.add(line);
                }
            }
        }
        return errors;
    }

    private static String termination(String accessLine) {
        Matcher access = ACCESS_LINE.matcher(accessLine);
        return access.find() ? access.group(2) : "";
    }

    // ---- what went over the FastCGI connections

    /**
     * On every FastCGI connection, the first record HAProxy sent is GET_VALUES asking for FCGI_MPXS_CONNS and
     * FCGI_MAX_REQS, and the first record back is GET_VALUES_RESULT with FCGI_MPXS_CONNS={@code mpxsConns}.
     */
    private static void assertGetValuesAtConnect(FcgiTap tap, String mpxsConns) {
        assertTrue(tap.acceptedConnections() >= 1, tap::describe);
        for (int connection = 1; connection <= tap.acceptedConnections(); connection++) {
            List<FcgiTap.Record> sent = tap.records(connection, TO_APP);
            List<FcgiTap.Record> answered = tap.records(connection, TO_WEB_SERVER);
            if (sent.isEmpty()) {
                continue; // opened and closed without a record (none expected, but not this test's subject)
            }
            FcgiTap.Record query = sent.get(0);
            assertEquals(FcgiTap.GET_VALUES, query.type(), tap::describe);
            assertEquals(0, query.requestId(), tap::describe);
            assertTrue(query.nameValues().keySet().containsAll(List.of("FCGI_MPXS_CONNS", "FCGI_MAX_REQS")),
                    () -> "GET_VALUES names " + query.nameValues().keySet());
            assertTrue(!answered.isEmpty(), tap::describe);
            FcgiTap.Record result = answered.get(0);
            assertEquals(FcgiTap.GET_VALUES_RESULT, result.type(), tap::describe);
            assertEquals(0, result.requestId(), tap::describe);
            assertEquals(mpxsConns, result.nameValues().get("FCGI_MPXS_CONNS"), tap::describe);
            String maxReqs = result.nameValues().get("FCGI_MAX_REQS");
            assertTrue(maxReqs != null && maxReqs.matches("[1-9][0-9]*"), () -> "FCGI_MAX_REQS " + maxReqs);
            assertEquals(1, sent.stream().filter(r -> r.type() == FcgiTap.GET_VALUES).count(), tap::describe);
        }
    }

    /** On every connection the BEGIN_REQUEST ids are non-zero and strictly increasing. */
    private static void assertRequestIdsOnlyGrow(FcgiTap tap) {
        for (int connection = 1; connection <= tap.acceptedConnections(); connection++) {
            int previous = 0;
            for (FcgiTap.Record record : tap.records(connection, TO_APP)) {
                if (record.type() == FcgiTap.BEGIN_REQUEST) {
                    int id = record.requestId();
                    int before = previous;
                    assertTrue(id > before, () -> "request id " + id + " after " + before + "\n" + tap.describe());
                    assertEquals(1, record.role(), "RESPONDER");
                    assertTrue(record.keepConn(), tap::describe);
                    previous = id;
                }
            }
        }
    }

    /** For each tap connection, the most requests between BEGIN_REQUEST and END_REQUEST at one time. */
    private static Map<Integer, Integer> maxConcurrencyPerConnection(FcgiTap tap) {
        Map<Integer, Integer> current = new HashMap<>();
        Map<Integer, Integer> max = new HashMap<>();
        for (FcgiTap.Record record : tap.records()) {
            if (record.direction() == TO_APP && record.type() == FcgiTap.BEGIN_REQUEST) {
                int now = current.merge(record.connection(), 1, Integer::sum);
                max.merge(record.connection(), now, Math::max);
            } else if (record.direction() == TO_WEB_SERVER && record.type() == FcgiTap.END_REQUEST) {
                current.merge(record.connection(), -1, Integer::sum);
            }
        }
        return max;
    }

    /** END_REQUEST records whose protocol status is not REQUEST_COMPLETE. */
    private static List<FcgiTap.Record> endRequestsNotComplete(FcgiTap tap) {
        return tap.records(TO_WEB_SERVER, FcgiTap.END_REQUEST).stream().filter(r -> r.protocolStatus() != 0)
                .toList();
    }

    // ---- a minimal HTTP/2 client (prior knowledge, cleartext): enough to open a stream and cancel it

    private static byte[] h2Frame(int type, int flags, int stream, byte[] payload) {
        byte[] frame = new byte[9 + payload.length];
        frame[0] = (byte) (payload.length >> 16);
        frame[1] = (byte) (payload.length >> 8);
        frame[2] = (byte) payload.length;
        frame[3] = (byte) type;
        frame[4] = (byte) flags;
        frame[5] = (byte) (stream >> 24);
        frame[6] = (byte) (stream >> 16);
        frame[7] = (byte) (stream >> 8);
        frame[8] = (byte) stream;
        System.arraycopy(payload, 0, frame, 9, payload.length);
        return frame;
    }

    /** HPACK: :method GET and :scheme http from the static table, :path and :authority as literals. */
    private static byte[] h2GetHeaders(String path, String authority) {
        ByteArrayOutputStream block = new ByteArrayOutputStream();
        block.write(0x82); // :method GET
        block.write(0x86); // :scheme http
        h2Literal(block, 4, path); // :path, literal without indexing, indexed name
        h2Literal(block, 1, authority); // :authority
        return block.toByteArray();
    }

    private static void h2Literal(ByteArrayOutputStream block, int nameIndex, String value) {
        byte[] bytes = value.getBytes(StandardCharsets.US_ASCII);
        if (bytes.length >= 127) {
            throw new IllegalArgumentException("value too long for this minimal encoder: " + value);
        }
        block.write(nameIndex);
        block.write(bytes.length);
        block.writeBytes(bytes);
    }

    // ---- a handler that holds requests under /gate/ until the test opens the gate

    /** The echo handler; requests whose REQUEST_URI starts with /gate/ first wait for {@link #open()}. */
    static final class GatedEchoHandler implements FcgiHandler, AutoCloseable {

        private final RecordingEchoHandler echo = new RecordingEchoHandler();
        private final CountDownLatch gate = new CountDownLatch(1);
        private final TreeSet<Integer> waiting = new TreeSet<>();
        private int next;

        @Override
        public void handle(FcgiRequest request, FcgiResponse response) throws Exception {
            String uri = request.param("REQUEST_URI");
            if (uri != null && uri.startsWith("/gate/")) {
                int ticket;
                synchronized (this) {
                    ticket = next++;
                    waiting.add(ticket);
                }
                try {
                    if (!gate.await(2, TimeUnit.MINUTES)) {
                        response.status(504);
                        return;
                    }
                } finally {
                    synchronized (this) {
                        waiting.remove(ticket);
                    }
                }
            }
            echo.handle(request, response);
        }

        /** How many requests wait at the gate now. */
        synchronized int waiting() {
            return waiting.size();
        }

        /** Lets every waiting request (and every later one) through. */
        void open() {
            gate.countDown();
        }

        /** Opens the gate, so that no handler waits after a test failed before it opened it. */
        @Override
        public void close() {
            open();
        }
    }
}
