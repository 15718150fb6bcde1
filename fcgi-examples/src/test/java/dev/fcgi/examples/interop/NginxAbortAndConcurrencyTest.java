package dev.fcgi.examples.interop;

import dev.fcgi.protocol.server.FcgiServer;
import dev.fcgi.protocol.testing.Await;
import dev.fcgi.protocol.testing.NginxProcess;
import dev.fcgi.protocol.testing.Sha256;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * nginx and the echo server (in this JVM) when HTTP clients go away (nginx then closes the FastCGI connection:
 * spec item 42) and when many requests run at once over nginx's keep-alive pool (item 10: records stay whole).
 */
class NginxAbortAndConcurrencyTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void clientGoneMidResponseEndsTheRequest(@TempDir Path dir) throws Exception {
        try (FcgiServer server = FcgiServer.builder().handler(new RecordingEchoHandler())
                .listen("unix:" + dir.resolve("echo.sock")).build().start();
             NginxProcess nginx = EchoNginx.withEchoParams(NginxProcess.builder(dir.resolve("nginx"))
                     .upstream(server.localAddress()).keepConn(true)).start()) {
            // 200 MB, far more than every buffer on the way: the handler is still writing when the client goes
            try (Socket socket = new Socket()) {
                socket.setReceiveBufferSize(64 * 1024);
                socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), nginx.port()), 10_000);
                socket.setSoTimeout(60_000);
                OutputStream out = socket.getOutputStream();
                out.write("GET /abort?echo_bytes=200000000 HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                out.flush();
                InputStream in = socket.getInputStream();
                byte[] buffer = new byte[64 * 1024];
                long received = 0;
                while (received < 1 << 20) {
                    int n = in.read(buffer);
                    assertTrue(n > 0, "the response ended after " + received + " bytes");
                    received += n;
                }
                assertEquals(1, server.activeRequestCount());
            }
            Await.until(Duration.ofSeconds(30), () -> server.activeRequestCount() == 0,
                    () -> "the request ended after nginx closed the connection; active: "
                            + server.activeRequestCount() + "\n" + nginx.describe());
            Await.until(Duration.ofSeconds(30), () -> server.connectionCount() == 0,
                    () -> "nginx closed the FastCGI connection of the unfinished response; open: "
                            + server.connectionCount());
            assertNextRequestWorks(nginx);
        }
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void clientGoneWhileTheHandlerWaitsAbortsIt(@TempDir Path dir) throws Exception {
        try (FcgiServer server = FcgiServer.builder().handler(new RecordingEchoHandler())
                .listen("127.0.0.1:0").build().start();
             NginxProcess nginx = EchoNginx.withEchoParams(NginxProcess.builder(dir.resolve("nginx"))
                     .upstream(server.localAddress()).keepConn(true)).start()) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), nginx.port()), 10_000);
                OutputStream out = socket.getOutputStream();
                // the handler would wait 100 s; the test's whole budget is far less
                out.write("GET /sleep?echo_sleep_ms=100000 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                out.flush();
                Await.until(Duration.ofSeconds(30), () -> server.activeRequestCount() == 1,
                        () -> "the request reached the handler\n" + nginx.describe());
            }
            // nginx sees the client's FIN (epoll EPOLLRDHUP), closes the upstream connection, the handler is aborted
            Await.until(Duration.ofSeconds(30), () -> server.activeRequestCount() == 0,
                    () -> "the handler was aborted when nginx closed the connection; active: "
                            + server.activeRequestCount() + "\n" + nginx.describe());
            assertNextRequestWorks(nginx);
        }
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void manyConcurrentRequestsOverTheKeepAlivePool(@TempDir Path dir) throws Exception {
        int posts = 24;
        int downloads = 8;
        long downloadLength = 5_000_000;
        try (FcgiServer server = FcgiServer.builder().handler(new RecordingEchoHandler())
                .listen("unix:" + dir.resolve("echo.sock")).build().start();
             NginxProcess nginx = EchoNginx.withEchoParams(NginxProcess.builder(dir.resolve("nginx"))
                     .upstream(server.localAddress()).keepConn(true).keepalive(8)).start();
             HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                     .connectTimeout(Duration.ofSeconds(10)).build();
             ExecutorService pool = Executors.newFixedThreadPool(16)) {
            List<Future<?>> results = new ArrayList<>();
            for (int i = 0; i < posts; i++) {
                int index = i;
                results.add(pool.submit((Callable<Void>) () -> {
                    byte[] body = new byte[100_000 + index * 37_001];
                    new Random(index).nextBytes(body);
                    HttpResponse<String> response = client.send(HttpRequest.newBuilder(nginx.uri("/post/" + index))
                            .timeout(TIMEOUT).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                            HttpResponse.BodyHandlers.ofString());
                    assertEquals(200, response.statusCode(), response::body);
                    EchoReply reply = EchoReply.parse(response.body());
                    assertEquals("/post/" + index, reply.param("REQUEST_URI"));
                    assertEquals(body.length, reply.stdinLength());
                    assertEquals(Sha256.hex(body), reply.stdinSha256());
                    return null;
                }));
            }
            String expected = Sha256.ofPattern(downloadLength, 251);
            for (int i = 0; i < downloads; i++) {
                results.add(pool.submit((Callable<Void>) () -> {
                    HttpResponse<InputStream> response = client.send(
                            HttpRequest.newBuilder(nginx.uri("/bytes?echo_bytes=" + downloadLength)).timeout(TIMEOUT)
                                    .build(), HttpResponse.BodyHandlers.ofInputStream());
                    assertEquals(200, response.statusCode());
                    MessageDigest digest = Sha256.newDigest();
                    long length = 0;
                    try (InputStream in = response.body()) {
                        byte[] buffer = new byte[64 * 1024];
                        int n;
                        while ((n = in.read(buffer)) >= 0) {
                            digest.update(buffer, 0, n);
                            length += n;
                        }
                    }
                    assertEquals(downloadLength, length);
                    assertEquals(expected, HexFormat.of().formatHex(digest.digest()));
                    return null;
                }));
            }
            for (Future<?> result : results) {
                result.get(2, TimeUnit.MINUTES);
            }
            assertEquals(List.of(), EchoNginx.errors(nginx), nginx::describe);
            // the server counts a request as ended right after it flushed END_REQUEST, which nginx may pass on first
            Await.until(Duration.ofSeconds(30), () -> server.activeRequestCount() == 0,
                    () -> "every request ended; active: " + server.activeRequestCount());
            // nginx closes the connections its pool of 8 has no room for; the server sees those closes soon after
            Await.until(Duration.ofSeconds(30), () -> server.connectionCount() <= 8,
                    () -> "nginx keeps at most 8 idle connections; open: " + server.connectionCount());
        }
    }

    private static void assertNextRequestWorks(NginxProcess nginx) throws Exception {
        try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build()) {
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(nginx.uri("/after?x=1"))
                    .timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode(), () -> response.body() + "\n" + nginx.describe());
            EchoReply reply = EchoReply.parse(response.body());
            assertEquals("/after?x=1", reply.param("REQUEST_URI"));
            assertTrue(reply.keepConn());
        }
    }
}
