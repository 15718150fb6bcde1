package dev.fcgi.examples.interop;

import dev.fcgi.protocol.server.FcgiServer;
import dev.fcgi.protocol.testing.Await;
import dev.fcgi.protocol.testing.ExternalTools;
import dev.fcgi.protocol.testing.Sha256;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static dev.fcgi.examples.interop.FcgiTap.Direction.TO_APP;
import static dev.fcgi.examples.interop.FcgiTap.Direction.TO_WEB_SERVER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Apache httpd 2.4's mod_proxy_fcgi in front of the echo server (in this JVM), through an {@link FcgiTap} that
 * notes every record: spec item 60, "id 1, KEEP_CONN always set, reuse only with enablereuse=on, the empty STDIN
 * possibly in a separate write". Debian's Apache 2.4.71 sets FCGI_KEEP_CONN only when it will reuse the connection
 * (enablereuse=on); with enablereuse=off the flag is 0, so the server closes after the request, and Apache closes
 * too. Apache runs in the foreground as one process ({@code apache2 -X}) with a minimal
 * configuration of its own (event MPM, mod_proxy, mod_proxy_fcgi from /usr/lib/apache2/modules); as root it
 * drops to {@code nobody} after start, as Apache refuses to serve as root.
 */
class ApacheProxyFcgiInteropTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final Path MODULES = Path.of("/usr/lib/apache2/modules");
    private static final int EXTRA_REQUESTS = 5;
    /** Lines of Apache's error log at level error or worse, or from the proxy modules at warn. */
    private static final Pattern ERROR_LINE =
            Pattern.compile(":(error|crit|alert|emerg)\\]|\\[proxy(_fcgi)?:warn\\]");

    @ParameterizedTest(name = "enablereuse={0}")
    @ValueSource(booleans = {true, false})
    @DisplayName("spec 60: Apache mod_proxy_fcgi: request id 1, a GET and a 5 MB POST; with enablereuse=on "
            + "FCGI_KEEP_CONN and a reused connection, with enablereuse=off no KEEP_CONN and a connection per request")
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void getPostAndConnectionReuse(boolean enableReuse, @TempDir Path dir) throws Exception {
        RecordingEchoHandler handler = new RecordingEchoHandler();
        try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                     .connectTimeout(Duration.ofSeconds(10)).build();
             FcgiServer server = FcgiServer.builder().handler(handler).listen("127.0.0.1:0").build().start();
             FcgiTap tap = FcgiTap.start((InetSocketAddress) server.localAddress());
             PeerProcess apache = startApache(dir, tap.port(), enableReuse)) {
            List<EchoReply> replies = new ArrayList<>();

            HttpResponse<String> got = client.send(HttpRequest.newBuilder(apache.uri("/app/get?alpha=1&beta=two"))
                    .timeout(TIMEOUT).header("X-Interop-Test", "hello apache").GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, got.statusCode(), () -> got.body() + "\n" + apache.describe());
            assertEquals("application/json", got.headers().firstValue("Content-Type").orElse(null));
            EchoReply get = EchoReply.parse(got.body());
            replies.add(get);
            assertEquals("RESPONDER", get.role());
            assertEquals("GET", get.param("REQUEST_METHOD"));
            assertEquals("/app/get?alpha=1&beta=two", get.param("REQUEST_URI"));
            assertEquals("alpha=1&beta=two", get.param("QUERY_STRING"));
            assertEquals("hello apache", get.param("HTTP_X_INTEROP_TEST"));
            assertEquals("proxy:fcgi://127.0.0.1:" + tap.port() + "/get", get.param("SCRIPT_FILENAME"));
            assertTrue(get.param("SERVER_SOFTWARE").startsWith("Apache"), get.param("SERVER_SOFTWARE"));
            assertEquals(0, get.stdinLength());
            assertEquals(EchoReply.EMPTY_SHA256, get.stdinSha256());
            awaitReleased(server, apache, enableReuse);

            byte[] body = new byte[5 * 1024 * 1024];
            new Random(60).nextBytes(body);
            HttpResponse<String> posted = client.send(HttpRequest.newBuilder(apache.uri("/app/post?size=5m"))
                    .timeout(TIMEOUT).header("Content-Type", "application/octet-stream")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, posted.statusCode(), () -> posted.body() + "\n" + apache.describe());
            EchoReply post = EchoReply.parse(posted.body());
            replies.add(post);
            assertEquals("POST", post.param("REQUEST_METHOD"));
            assertEquals(Integer.toString(body.length), post.param("CONTENT_LENGTH"));
            assertEquals("application/octet-stream", post.param("CONTENT_TYPE"));
            assertEquals(body.length, post.stdinLength());
            assertEquals(Sha256.hex(body), post.stdinSha256());
            awaitReleased(server, apache, enableReuse);

            for (int i = 0; i < EXTRA_REQUESTS; i++) {
                HttpResponse<String> again = client.send(HttpRequest.newBuilder(apache.uri("/app/again?n=" + i))
                        .timeout(TIMEOUT).GET().build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, again.statusCode(), () -> again.body() + "\n" + apache.describe());
                EchoReply reply = EchoReply.parse(again.body());
                assertEquals("n=" + i, reply.param("QUERY_STRING"));
                replies.add(reply);
                awaitReleased(server, apache, enableReuse);
            }

            for (EchoReply reply : replies) {
                assertEquals(1, reply.requestId(), "mod_proxy_fcgi always uses request id 1");
                assertEquals(enableReuse, reply.keepConn(),
                        "Apache 2.4.71 sets FCGI_KEEP_CONN only with enablereuse=on");
            }
            Set<SocketAddress> connections = new HashSet<>(handler.peers());
            System.out.println("ApacheProxyFcgiInteropTest: enablereuse=" + (enableReuse ? "on" : "off") + ": "
                    + replies.size() + " requests on " + connections.size() + " FastCGI connection(s)");
            String described = "requests: " + replies.size() + ", on the tap's connections " + handler.peers()
                    + "\n" + tap.describe();
            if (enableReuse) {
                // Sequential requests: one connection is busy, and at most one more may not be back in Apache's
                // pool yet when the next request starts (Apache releases it just after the response went out).
                assertTrue(connections.size() <= 2, () -> "enablereuse=on reuses connections; " + described);
                assertTrue(server.connectionCount() >= 1, () -> "Apache keeps its connection open; " + described);
            } else {
                assertEquals(replies.size(), connections.size(), () -> "one connection per request; " + described);
            }
            List<FcgiTap.Record> begins = tap.records(TO_APP, FcgiTap.BEGIN_REQUEST);
            assertEquals(replies.size(), begins.size(), described);
            for (FcgiTap.Record begin : begins) {
                assertEquals(1, begin.requestId(), described);
                assertEquals(1, begin.role(), described);
                assertEquals(enableReuse, begin.keepConn(), described);
            }
            assertEquals(List.of(), tap.records(TO_APP, FcgiTap.GET_VALUES), "Apache asks no GET_VALUES");
            assertEquals(List.of(), tap.records(TO_WEB_SERVER, FcgiTap.END_REQUEST).stream()
                    .filter(r -> r.protocolStatus() != 0).toList(), described);
            assertEquals(List.of(), tap.problems(), described);
            assertEquals(List.of(), apacheErrors(apache), apache::describe);
        }
    }

    /**
     * enablereuse=off: no FCGI_KEEP_CONN, the connection is closed after the response (by the server, spec item 39,
     * and by Apache); enablereuse=on: it stays open.
     */
    private static void awaitReleased(FcgiServer server, PeerProcess apache, boolean enableReuse) {
        if (enableReuse) {
            assertTrue(server.connectionCount() >= 1, apache::describe);
        } else {
            Await.until(Duration.ofSeconds(10), () -> server.connectionCount() == 0,
                    () -> "the connection closed after the request (enablereuse=off); open: " + server.connectionCount()
                            + "\n"
                            + apache.describe());
        }
    }

    /**
     * Apache in the foreground, one process ({@code -X}), listening on a free port of 127.0.0.1, passing /app/ to
     * the FastCGI server on {@code fcgiPort}.
     */
    static PeerProcess startApache(Path dir, int fcgiPort, boolean enableReuse) throws IOException {
        String apache = ExternalTools.require("apache2");
        for (String module : List.of("mod_mpm_event.so", "mod_authz_core.so", "mod_proxy.so", "mod_proxy_fcgi.so")) {
            if (!Files.isRegularFile(MODULES.resolve(module))) {
                ExternalTools.require(MODULES.resolve(module).toString()); // skips or fails with its name
            }
        }
        Path home = dir.resolve("apache");
        Files.createDirectories(home.resolve("html"));
        boolean root = "root".equals(System.getProperty("user.name"));
        return PeerProcess.start("apache2", home, "httpd.conf", 1, ports -> """
                # written by %s
                ServerRoot "%s"
                DefaultRuntimeDir "%s"
                PidFile "%s/httpd.pid"
                ErrorLog "%s/error.log"
                LogLevel warn
                Listen 127.0.0.1:%d
                ServerName 127.0.0.1
                %s
                LoadModule mpm_event_module %s/mod_mpm_event.so
                LoadModule authz_core_module %s/mod_authz_core.so
                LoadModule proxy_module %s/mod_proxy.so
                LoadModule proxy_fcgi_module %s/mod_proxy_fcgi.so
                Timeout 60
                DocumentRoot "%s/html"
                ProxyPass "/app/" "fcgi://127.0.0.1:%d/" enablereuse=%s
                """.formatted(ApacheProxyFcgiInteropTest.class.getName(), home, home, home, home, ports[0],
                        root ? "User nobody\nGroup nogroup" : "", MODULES, MODULES, MODULES, MODULES, home, fcgiPort,
                        enableReuse ? "on" : "off"),
                config -> List.of(apache, "-X", "-f", config.toString()), home.resolve("error.log"));
    }

    /** The error log's lines at level error or worse, and the proxy modules' warnings. */
    static List<String> apacheErrors(PeerProcess apache) {
        return apache.errorLog().lines().filter(line -> ERROR_LINE.matcher(line).find()).toList();
    }
}
