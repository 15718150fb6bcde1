package dev.fcgi.examples.interop;

import dev.fcgi.examples.echo.EchoHandler;
import dev.fcgi.protocol.server.FcgiServer;
import dev.fcgi.protocol.testing.NginxProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Requests of unusual shapes through nginx (keep_conn on, TCP): PARAMS of about 48 KB in nginx's single PARAMS
 * record (spec item 59), an empty POST body, a HEAD request, and a value with non-ASCII UTF-8.
 */
class NginxRequestShapesTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private FcgiServer server;
    private NginxProcess nginx;
    private HttpClient client;

    @BeforeEach
    void start() throws Exception {
        server = FcgiServer.builder().handler(new EchoHandler()).listen("127.0.0.1:0").build().start();
        nginx = EchoNginx.withEchoParams(NginxProcess.builder(dir.resolve("nginx")).upstream(server.localAddress())
                .httpDirective("large_client_header_buffers 8 64k;")).start();
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10))
                .build();
    }

    @AfterEach
    void stop() {
        if (client != null) {
            client.close();
        }
        if (nginx != null) {
            nginx.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void largeParamsRecord() throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(nginx.uri("/headers")).timeout(TIMEOUT);
        for (int i = 0; i < 40; i++) {
            request.header("X-Big-" + i, Character.toString('a' + i % 26).repeat(1200));
        }
        HttpResponse<String> response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), () -> response.body() + "\n" + nginx.describe());
        EchoReply reply = EchoReply.parse(response.body());
        for (int i = 0; i < 40; i++) {
            assertEquals(Character.toString('a' + i % 26).repeat(1200), reply.param("HTTP_X_BIG_" + i), "header " + i);
        }
        assertEquals(List.of(), EchoNginx.errors(nginx), nginx::describe);
    }

    @Test
    void emptyPost() throws Exception {
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(nginx.uri("/empty")).timeout(TIMEOUT)
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response::body);
        EchoReply reply = EchoReply.parse(response.body());
        assertEquals("POST", reply.param("REQUEST_METHOD"));
        assertEquals("0", reply.param("CONTENT_LENGTH"));
        assertEquals(0, reply.stdinLength());
        assertEquals(EchoReply.EMPTY_SHA256, reply.stdinSha256());
    }

    @Test
    void headHasNoBody() throws Exception {
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(nginx.uri("/head")).timeout(TIMEOUT)
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode());
        assertEquals("application/json", response.headers().firstValue("Content-Type").orElse(null));
        assertEquals("", response.body());
        // the connection is still good for the next request
        HttpResponse<String> next = client.send(HttpRequest.newBuilder(nginx.uri("/next")).timeout(TIMEOUT).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals("/next", EchoReply.parse(next.body()).param("REQUEST_URI"));
    }

    @Test
    void utf8InTheQueryAndAHeader() throws Exception {
        // raw bytes, as browsers send them: HttpClient would refuse a header value outside ISO-8859-1
        byte[] request = ("GET /utf8?q=grüße HTTP/1.0\r\nHost: 127.0.0.1\r\nX-Utf8: ☃ snow\r\n\r\n")
                .getBytes(StandardCharsets.UTF_8);
        byte[] answer;
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), nginx.port()), 10_000);
            socket.setSoTimeout(60_000);
            socket.getOutputStream().write(request);
            socket.getOutputStream().flush();
            answer = socket.getInputStream().readAllBytes();
        }
        String text = new String(answer, StandardCharsets.UTF_8);
        assertTrue(text.startsWith("HTTP/1.1 200 OK\r\n"), text);
        EchoReply reply = EchoReply.parse(text.substring(text.indexOf("\r\n\r\n") + 4));
        assertEquals("q=grüße", reply.param("QUERY_STRING"));
        assertEquals("/utf8?q=grüße", reply.param("REQUEST_URI"));
        assertEquals("☃ snow", reply.param("HTTP_X_UTF8"));
    }
}
