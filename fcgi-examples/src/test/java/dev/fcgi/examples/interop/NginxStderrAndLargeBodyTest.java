package dev.fcgi.examples.interop;

import dev.fcgi.examples.echo.EchoHandler;
import dev.fcgi.protocol.server.FcgiServer;
import dev.fcgi.protocol.testing.Await;
import dev.fcgi.protocol.testing.NginxProcess;
import dev.fcgi.protocol.testing.Sha256;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Through nginx to the echo server in this JVM: FCGI_STDERR text ends up in nginx's error log, a
 * 20 000 000-byte response arrives byte for byte, and a 10 MiB body streams through with
 * {@code fastcgi_request_buffering off}.
 */
class NginxStderrAndLargeBodyTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @Test
    void stderrGoesToTheErrorLog(@TempDir Path dir) throws Exception {
        String marker = "interop-stderr-" + UUID.randomUUID();
        try (FcgiServer server = FcgiServer.builder().handler(new EchoHandler()).listen("127.0.0.1:0").build().start();
             NginxProcess nginx = EchoNginx.withEchoParams(NginxProcess.builder(dir.resolve("nginx"))
                     .upstream(server.localAddress())).start();
             HttpClient client = newClient()) {
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(nginx.uri("/stderr?echo_stderr=" + marker))
                    .timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode(), () -> response.body() + "\n" + nginx.describe());
            EchoReply reply = EchoReply.parse(response.body());
            assertEquals(marker, reply.param("ECHO_STDERR"));

            String expected = "FastCGI sent in stderr: \"" + marker + "\"";
            Await.until(Duration.ofSeconds(10), () -> nginx.errorLog().contains(expected),
                    () -> "nginx's error log has " + expected + "\n" + nginx.describe());
            List<String> lines = nginx.errorLog().lines().filter(line -> line.contains(marker)).toList();
            assertEquals(1, lines.size(), () -> "one log line with the marker\n" + nginx.describe());
            assertTrue(lines.get(0).contains("[error]"), lines.get(0));
            assertTrue(lines.get(0).contains("request: \"GET /stderr?echo_stderr=" + marker + " HTTP/1.1\""),
                    lines.get(0));
        }
    }

    @Test
    void twentyMillionBytesArriveIntact(@TempDir Path dir) throws Exception {
        long length = 20_000_000L;
        try (FcgiServer server = FcgiServer.builder().handler(new EchoHandler()).listen("127.0.0.1:0").build().start();
             NginxProcess nginx = EchoNginx.withEchoParams(NginxProcess.builder(dir.resolve("nginx"))
                     .upstream(server.localAddress())).start();
             HttpClient client = newClient()) {
            HttpResponse<InputStream> response = client.send(
                    HttpRequest.newBuilder(nginx.uri("/bytes?echo_bytes=" + length)).timeout(TIMEOUT).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            MessageDigest digest = Sha256.newDigest();
            long received = 0;
            long firstMismatch = -1;
            try (InputStream in = response.body()) {
                byte[] buffer = new byte[64 * 1024];
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    digest.update(buffer, 0, n);
                    for (int i = 0; i < n && firstMismatch < 0; i++) {
                        if (buffer[i] != (byte) ((received + i) % 251)) {
                            firstMismatch = received + i;
                        }
                    }
                    received += n;
                }
            }
            assertEquals(200, response.statusCode(), nginx::describe);
            assertEquals("application/octet-stream", response.headers().firstValue("Content-Type").orElse(null));
            assertEquals(length, received, "body length");
            assertEquals(-1, firstMismatch, "offset of the first byte that is not i % 251");
            assertEquals(Sha256.ofPattern(length, 251), HexFormat.of().formatHex(digest.digest()));
            assertEquals(List.of(), EchoNginx.errors(nginx), nginx::describe);
        }
    }

    @Test
    void unbufferedRequestBodyStreamsToTheHandler(@TempDir Path dir) throws Exception {
        byte[] body = new byte[10 * 1024 * 1024 + 7];
        new java.util.Random(7).nextBytes(body);
        try (FcgiServer server = FcgiServer.builder().handler(new EchoHandler()).listen("127.0.0.1:0").build().start();
             NginxProcess nginx = EchoNginx.withEchoParams(NginxProcess.builder(dir.resolve("nginx"))
                     .upstream(server.localAddress()).locationDirective("fastcgi_request_buffering off;")).start();
             HttpClient client = newClient()) {
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(nginx.uri("/unbuffered"))
                    .timeout(TIMEOUT).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode(), () -> response.body() + "\n" + nginx.describe());
            EchoReply reply = EchoReply.parse(response.body());
            assertEquals(Integer.toString(body.length), reply.param("CONTENT_LENGTH"));
            assertEquals(body.length, reply.stdinLength());
            assertEquals(Sha256.hex(body), reply.stdinSha256());
            assertEquals(List.of(), EchoNginx.errors(nginx), nginx::describe);
        }
    }

    private static HttpClient newClient() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10))
                .build();
    }
}
