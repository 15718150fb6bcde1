package dev.fcgi.examples.interop;

import dev.fcgi.protocol.FcgiRole;
import dev.fcgi.protocol.server.FcgiHandler;
import dev.fcgi.protocol.server.FcgiServer;
import dev.fcgi.protocol.testing.Await;
import dev.fcgi.protocol.testing.ExternalTools;
import dev.fcgi.protocol.testing.Sha256;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.SocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * lighttpd 1.4's mod_fastcgi in front of the server (in this JVM): spec item 61, "id 1, flags = 0, so the app must
 * close after each request; AUTHORIZER mode is available". lighttpd runs in the foreground ({@code lighttpd -D})
 * with a configuration of its own and connects over TCP ({@code "check-local" => "disable"}: it does not look for
 * a script file).
 */
class LighttpdInteropTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final int EXTRA_REQUESTS = 3;
    /** The lines lighttpd writes to its error log on every start and stop. */
    private static final Pattern ROUTINE_LINE = Pattern.compile("\\(server\\.c\\.\\d+\\) server (started|stopped)");

    @Test
    @DisplayName("spec 61: lighttpd mod_fastcgi: request id 1 without FCGI_KEEP_CONN, so the server closes every "
            + "connection after its request; a GET and a 5 MB POST")
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void responderGetPostAndCloseAfterEachRequest(@TempDir Path dir) throws Exception {
        RecordingEchoHandler handler = new RecordingEchoHandler();
        try (HttpClient client = httpClient();
             FcgiServer server = FcgiServer.builder().handler(handler).listen("127.0.0.1:0").build().start();
             PeerProcess lighttpd = startLighttpd(dir, server, "/app/", "responder")) {
            List<EchoReply> replies = new ArrayList<>();

            HttpResponse<String> got = client.send(HttpRequest.newBuilder(lighttpd.uri("/app/get?alpha=1&beta=two"))
                    .timeout(TIMEOUT).header("X-Interop-Test", "hello lighttpd").GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, got.statusCode(), () -> got.body() + "\n" + lighttpd.describe());
            assertEquals("application/json", got.headers().firstValue("Content-Type").orElse(null));
            EchoReply get = EchoReply.parse(got.body());
            replies.add(get);
            assertEquals("RESPONDER", get.role());
            assertEquals("GET", get.param("REQUEST_METHOD"));
            assertEquals("/app/get?alpha=1&beta=two", get.param("REQUEST_URI"));
            assertEquals("alpha=1&beta=two", get.param("QUERY_STRING"));
            assertEquals("hello lighttpd", get.param("HTTP_X_INTEROP_TEST"));
            assertTrue(get.param("SERVER_SOFTWARE").startsWith("lighttpd"), get.param("SERVER_SOFTWARE"));
            assertEquals(0, get.stdinLength());
            awaitClosed(server, lighttpd);

            byte[] body = new byte[5 * 1024 * 1024];
            new Random(61).nextBytes(body);
            HttpResponse<String> posted = client.send(HttpRequest.newBuilder(lighttpd.uri("/app/post?size=5m"))
                    .timeout(TIMEOUT).header("Content-Type", "application/octet-stream")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, posted.statusCode(), () -> posted.body() + "\n" + lighttpd.describe());
            EchoReply post = EchoReply.parse(posted.body());
            replies.add(post);
            assertEquals("POST", post.param("REQUEST_METHOD"));
            assertEquals(Integer.toString(body.length), post.param("CONTENT_LENGTH"));
            assertEquals("application/octet-stream", post.param("CONTENT_TYPE"));
            assertEquals(body.length, post.stdinLength());
            assertEquals(Sha256.hex(body), post.stdinSha256());
            awaitClosed(server, lighttpd);

            for (int i = 0; i < EXTRA_REQUESTS; i++) {
                HttpResponse<String> again = client.send(HttpRequest.newBuilder(lighttpd.uri("/app/again?n=" + i))
                        .timeout(TIMEOUT).GET().build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, again.statusCode(), () -> again.body() + "\n" + lighttpd.describe());
                EchoReply reply = EchoReply.parse(again.body());
                assertEquals("n=" + i, reply.param("QUERY_STRING"));
                replies.add(reply);
                awaitClosed(server, lighttpd);
            }

            for (EchoReply reply : replies) {
                assertEquals(1, reply.requestId(), "lighttpd always uses request id 1");
                assertEquals(false, reply.keepConn(), "lighttpd sends flags = 0 (no FCGI_KEEP_CONN)");
            }
            List<SocketAddress> peers = handler.peers();
            assertEquals(replies.size(), new HashSet<>(peers).size(), () -> "one connection per request: " + peers);
            assertEquals(List.of(), lighttpdErrors(lighttpd), lighttpd::describe);
        }
    }

    @Test
    @DisplayName("spec 61: lighttpd's AUTHORIZER mode: the server's 200 lets the request through to the file, "
            + "its 403 is what the client gets")
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void authorizer(@TempDir Path dir) throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        FcgiHandler authorizer = (request, response) -> {
            seen.add(request.role() + " " + request.requestId() + " keepConn=" + request.keepConn() + " "
                    + request.param("REQUEST_URI"));
            if (request.role() == FcgiRole.AUTHORIZER && "yes".equals(request.param("HTTP_X_LET_ME_IN"))) {
                response.status(200);
            } else {
                response.status(403).contentType("text/plain");
                response.body().write("denied by the authorizer\n".getBytes(StandardCharsets.UTF_8));
            }
        };
        try (HttpClient client = httpClient();
             FcgiServer server = FcgiServer.builder().handler(authorizer).listen("127.0.0.1:0").build().start();
             PeerProcess lighttpd = startLighttpd(dir, server, "/private/", "authorizer")) {
            Path html = dir.resolve("lighttpd").resolve("html").resolve("private");
            Files.createDirectories(html);
            Files.writeString(html.resolve("secret.txt"), "the secret file\n");

            HttpResponse<String> allowed = client.send(HttpRequest.newBuilder(lighttpd.uri("/private/secret.txt"))
                    .timeout(TIMEOUT).header("X-Let-Me-In", "yes").GET().build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, allowed.statusCode(), () -> allowed.body() + "\n" + seen + "\n" + lighttpd.describe());
            assertEquals("the secret file\n", allowed.body(), "lighttpd served the file after the authorizer's 200");
            awaitClosed(server, lighttpd);

            HttpResponse<String> denied = client.send(HttpRequest.newBuilder(lighttpd.uri("/private/secret.txt"))
                    .timeout(TIMEOUT).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(403, denied.statusCode(), () -> denied.body() + "\n" + seen + "\n" + lighttpd.describe());
            assertEquals("denied by the authorizer\n", denied.body());
            awaitClosed(server, lighttpd);

            assertEquals(List.of("AUTHORIZER 1 keepConn=false /private/secret.txt",
                    "AUTHORIZER 1 keepConn=false /private/secret.txt"), seen);
            assertEquals(List.of(), lighttpdErrors(lighttpd), lighttpd::describe);
        }
    }

    private static HttpClient httpClient() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10))
                .build();
    }

    /** No FCGI_KEEP_CONN: the server closes the connection once END_REQUEST is out (spec item 39). */
    private static void awaitClosed(FcgiServer server, PeerProcess lighttpd) {
        Await.until(Duration.ofSeconds(10), () -> server.connectionCount() == 0,
                () -> "the server closed the connection after the request; open: " + server.connectionCount() + "\n"
                        + lighttpd.describe());
    }

    /**
     * lighttpd in the foreground on a free port of 127.0.0.1, passing {@code prefix} to the FastCGI server in
     * {@code mode} ("responder" or "authorizer"); the document root is {@code lighttpd/html} in {@code dir}.
     */
    private static PeerProcess startLighttpd(Path dir, FcgiServer server, String prefix, String mode)
            throws IOException {
        String lighttpd = ExternalTools.require("lighttpd");
        Path home = dir.resolve("lighttpd");
        Files.createDirectories(home.resolve("html"));
        int fcgiPort = ((java.net.InetSocketAddress) server.localAddress()).getPort();
        return PeerProcess.start("lighttpd", home, "lighttpd.conf", 1, ports -> """
                # written by %s
                server.document-root = "%s/html"
                server.bind = "127.0.0.1"
                server.port = %d
                server.errorlog = "%s/error.log"
                server.upload-dirs = ( "%s" )
                server.modules = ( "mod_fastcgi" )
                fastcgi.server = ( "%s" => ( "echo" => (
                    "host" => "127.0.0.1",
                    "port" => %d,
                    "check-local" => "disable",
                    "mode" => "%s"
                ) ) )
                """.formatted(LighttpdInteropTest.class.getName(), home, ports[0], home, home, prefix, fcgiPort, mode),
                config -> List.of(lighttpd, "-D", "-f", config.toString()), home.resolve("error.log"));
    }

    /** The error log's lines other than lighttpd's "server started" and "server stopped". */
    private static List<String> lighttpdErrors(PeerProcess lighttpd) {
        return lighttpd.errorLog().lines().filter(line -> !line.isBlank() && !ROUTINE_LINE.matcher(line).find())
                .toList();
    }
}
