package dev.fcgi.examples.interop;

import dev.fcgi.protocol.server.FcgiServer;
import dev.fcgi.protocol.testing.Await;
import dev.fcgi.protocol.testing.NginxProcess;
import dev.fcgi.protocol.testing.Sha256;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * nginx in front of the echo server (in this JVM), over TCP and over a Unix domain socket, with
 * {@code fastcgi_keep_conn} on and off (spec 39, 40, 59): a GET with a query string and a custom header,
 * a POST of 10 MiB of random bytes (its length and SHA-256 in the echo's JSON, then the same body echoed back
 * byte for byte), then more requests to see whether nginx reuses the FastCGI connection
 * (keep_conn on: one connection serves all of them; off: the server closes each one after END_REQUEST).
 */
class NginxEchoInteropTest {

    private static final int BODY_LENGTH = 10 * 1024 * 1024;
    private static final int EXTRA_REQUESTS = 5;
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    enum Transport { TCP, UNIX }

    static Stream<Arguments> upstreams() {
        return Stream.of(
                Arguments.of(Transport.TCP, true),
                Arguments.of(Transport.TCP, false),
                Arguments.of(Transport.UNIX, true),
                Arguments.of(Transport.UNIX, false));
    }

    @ParameterizedTest(name = "{0} upstream, fastcgi_keep_conn {1}")
    @MethodSource("upstreams")
    void getPostAndConnectionReuse(Transport transport, boolean keepConn, @TempDir Path dir) throws Exception {
        RecordingEchoHandler handler = new RecordingEchoHandler();
        FcgiServer.Builder builder = FcgiServer.builder().handler(handler);
        builder.listen(transport == Transport.TCP ? "127.0.0.1:0" : "unix:" + dir.resolve("echo.sock"));
        try (FcgiServer server = builder.build().start();
             NginxProcess nginx = EchoNginx.withEchoParams(NginxProcess.builder(dir.resolve("nginx"))
                     .upstream(server.localAddress()).keepConn(keepConn)).start();
             HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                     .connectTimeout(Duration.ofSeconds(10)).build()) {
            List<EchoReply> replies = new ArrayList<>();

            EchoReply get = get(client, nginx, "/interop/get?alpha=1&beta=two%20words");
            replies.add(get);
            assertEquals("RESPONDER", get.role());
            assertEquals(1, get.requestId(), "nginx always uses request id 1");
            assertEquals("GET", get.param("REQUEST_METHOD"));
            assertEquals("/interop/get?alpha=1&beta=two%20words", get.param("REQUEST_URI"));
            assertEquals("alpha=1&beta=two%20words", get.param("QUERY_STRING"));
            assertEquals("/interop/get", get.param("DOCUMENT_URI"));
            assertEquals("/interop/get", get.param("SCRIPT_NAME"));
            assertEquals("HTTP/1.1", get.param("SERVER_PROTOCOL"));
            assertEquals("CGI/1.1", get.param("GATEWAY_INTERFACE"));
            assertEquals("127.0.0.1", get.param("REMOTE_ADDR"));
            assertEquals(Integer.toString(nginx.port()), get.param("SERVER_PORT"));
            assertEquals("hello interop", get.param("HTTP_X_INTEROP_TEST"));
            assertEquals("127.0.0.1:" + nginx.port(), get.param("HTTP_HOST"));
            assertEquals("", get.param("CONTENT_LENGTH"), "nginx sends an empty CONTENT_LENGTH for a GET");
            assertNull(get.param("ECHO_BYTES"));
            assertEquals(0, get.stdinLength());
            assertEquals(EchoReply.EMPTY_SHA256, get.stdinSha256());
            assertEquals(0, get.dataLength());

            byte[] body = new byte[BODY_LENGTH];
            new Random(0x5eed_f00dL).nextBytes(body);
            String bodySha256 = Sha256.hex(body);
            HttpResponse<String> posted = client.send(HttpRequest.newBuilder(nginx.uri("/interop/post?size=10m"))
                    .timeout(TIMEOUT)
                    .header("Content-Type", "application/octet-stream")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, posted.statusCode(), () -> posted.body() + "\n" + nginx.describe());
            assertEquals("application/json", posted.headers().firstValue("Content-Type").orElse(null));
            EchoReply post = EchoReply.parse(posted.body());
            replies.add(post);
            assertEquals("POST", post.param("REQUEST_METHOD"));
            assertEquals("/interop/post?size=10m", post.param("REQUEST_URI"));
            assertEquals("size=10m", post.param("QUERY_STRING"));
            assertEquals(Integer.toString(BODY_LENGTH), post.param("CONTENT_LENGTH"));
            assertEquals("application/octet-stream", post.param("CONTENT_TYPE"));
            assertEquals(BODY_LENGTH, post.stdinLength());
            assertEquals(bodySha256, post.stdinSha256());
            if (!keepConn) {
                awaitNoConnection(server, nginx);
            }

            HttpResponse<byte[]> mirrored = client.send(HttpRequest.newBuilder(
                            nginx.uri(RecordingEchoHandler.MIRROR_PATH + "?size=10m"))
                    .timeout(TIMEOUT)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                    .build(), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, mirrored.statusCode(), nginx::describe);
            assertEquals("application/octet-stream", mirrored.headers().firstValue("Content-Type").orElse(null));
            assertEquals(BODY_LENGTH, mirrored.body().length, "the 10 MiB body echoed back");
            assertEquals(bodySha256, Sha256.hex(mirrored.body()), "the 10 MiB body echoed back byte for byte");
            if (!keepConn) {
                awaitNoConnection(server, nginx);
            }

            for (int i = 0; i < EXTRA_REQUESTS; i++) {
                EchoReply reply = get(client, nginx, "/interop/again?n=" + i);
                assertEquals("n=" + i, reply.param("QUERY_STRING"));
                replies.add(reply);
                if (keepConn) {
                    // nginx keeps the connection in its upstream pool and the server must not close it
                    assertEquals(1, server.connectionCount(), "FastCGI connections open after request " + i);
                } else {
                    awaitNoConnection(server, nginx);
                }
            }

            for (EchoReply reply : replies) {
                assertEquals(keepConn, reply.keepConn(), "FCGI_KEEP_CONN as nginx sent it");
                assertEquals(1, reply.requestId());
            }
            List<java.net.SocketAddress> peers = handler.peers();
            assertEquals(replies.size() + 1, peers.size(), "every request, the mirrored POST included");
            if (keepConn) {
                // with a keep-alive pool of 16 and a server that never closes a keep-conn connection, a second
                // connection would still be open: one open connection means that one served every request
                assertEquals(1, server.connectionCount(), "every request on one FastCGI connection");
                if (transport == Transport.TCP) {
                    assertEquals(1, new HashSet<>(peers).size(), "nginx's ends of the connections: " + peers);
                    assertTrue(peers.get(0) instanceof InetSocketAddress);
                }
            }
            assertEquals(List.of(), EchoNginx.errors(nginx), nginx::describe);
        }
    }

    /** nginx with a master and a worker process: both are stopped by PID when the test ends. */
    @Test
    void masterProcessOn(@TempDir Path dir) throws Exception {
        List<ProcessHandle> nginxProcesses;
        try (FcgiServer server = FcgiServer.builder().handler(new RecordingEchoHandler()).listen("127.0.0.1:0").build()
                .start();
             NginxProcess nginx = EchoNginx.withEchoParams(NginxProcess.builder(dir.resolve("nginx"))
                     .upstream(server.localAddress()).masterProcess(true)).start();
             HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                     .connectTimeout(Duration.ofSeconds(10)).build()) {
            EchoReply reply = get(client, nginx, "/master?on=1");
            assertEquals("on=1", reply.param("QUERY_STRING"));
            ProcessHandle master = ProcessHandle.of(nginx.pid()).orElseThrow();
            nginxProcesses = new ArrayList<>(master.descendants().toList());
            assertEquals(1, nginxProcesses.size(), "one worker process");
            nginxProcesses.add(master);
        }
        for (ProcessHandle process : nginxProcesses) {
            assertTrue(!process.isAlive(), "nginx process " + process.pid() + " stopped");
        }
    }

    private static EchoReply get(HttpClient client, NginxProcess nginx, String pathAndQuery) throws Exception {
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(nginx.uri(pathAndQuery))
                .timeout(TIMEOUT)
                .header("X-Interop-Test", "hello interop")
                .GET()
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), () -> response.body() + "\n" + nginx.describe());
        assertEquals("application/json", response.headers().firstValue("Content-Type").orElse(null));
        return EchoReply.parse(response.body());
    }

    /** keep_conn off: the server closes the connection once END_REQUEST is out (spec item 39). */
    private static void awaitNoConnection(FcgiServer server, NginxProcess nginx) {
        Await.until(Duration.ofSeconds(10), () -> server.connectionCount() == 0,
                () -> "the server closed the FastCGI connection (fastcgi_keep_conn off); open: "
                        + server.connectionCount() + "\n" + nginx.describe());
    }
}
