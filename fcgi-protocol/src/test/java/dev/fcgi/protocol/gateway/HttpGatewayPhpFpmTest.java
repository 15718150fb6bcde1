package dev.fcgi.protocol.gateway;

import dev.fcgi.protocol.testing.MiniJson;
import dev.fcgi.protocol.testing.PhpFpmProcess;
import dev.fcgi.protocol.testing.Sha256;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link HttpGateway} in front of a real php-fpm 8.2 on a Unix socket (skipped when php-fpm is not installed, required
 * on CI): PHP's {@code $_SERVER}, {@code $_GET}, {@code $_POST}, {@code $_COOKIE} and {@code php://input} come out
 * as they would behind nginx.
 */
class HttpGatewayPhpFpmTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;
    Path root;
    PhpFpmProcess fpm;
    HttpGateway gateway;
    HttpClient http;

    @BeforeEach
    void start() throws Exception {
        root = Files.createDirectories(dir.resolve("www"));
        try (InputStream script = HttpGatewayPhpFpmTest.class.getResourceAsStream("/php/gateway.php")) {
            Files.copy(script, root.resolve("gateway.php"));
        }
        fpm = PhpFpmProcess.start(Files.createDirectories(dir.resolve("fpm")), true, Map.of());
        gateway = HttpGateway.builder().listen("127.0.0.1:0").backend(fpm.address()).documentRoot(root)
                .maxRequestBodySize(16 << 20).ioThreads(2).build().start();
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(WAIT).build();
    }

    @AfterEach
    void stop() {
        try {
            if (http != null) {
                http.close();
            }
            if (gateway != null) {
                gateway.close();
            }
        } finally {
            if (fpm != null) {
                fpm.close();
            }
        }
    }

    private URI uri(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + ((InetSocketAddress) gateway.localAddress()).getPort() + pathAndQuery);
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> php(HttpResponse<String> response) {
        assertEquals(200, response.statusCode(), response.body() + "\n" + fpm.log());
        assertEquals("application/json", response.headers().firstValue("Content-Type").orElse(null));
        return MiniJson.parseObject(response.body());
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Map<String, Object> json, String key) {
        Object value = json.get(key);
        return value instanceof Map ? (Map<String, Object>) value : Map.of();     // PHP encodes [] for empty
    }

    @Test
    @DisplayName("GET with PATH_INFO, a query, cookies and a header: $_SERVER, $_GET, $_COOKIE; Set-Cookie back")
    void get() throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri("/gateway.php/extra/path?x=1&y=two"))
                .timeout(WAIT).header("Cookie", "c1=v1; c2=v2").header("X-Test", "hello").build(),
                BodyHandlers.ofString());
        Map<String, Object> json = php(response);
        Map<String, Object> server = map(json, "server");
        String docRoot = root.toAbsolutePath().normalize().toString();
        assertEquals("GET", server.get("REQUEST_METHOD"));
        assertEquals("/gateway.php", server.get("SCRIPT_NAME"));
        assertEquals(docRoot + "/gateway.php", server.get("SCRIPT_FILENAME"));
        assertEquals("/extra/path", server.get("PATH_INFO"));
        assertEquals(docRoot + "/extra/path", server.get("PATH_TRANSLATED"));
        assertEquals("/gateway.php/extra/path", server.get("PHP_SELF"));
        assertEquals("/gateway.php/extra/path?x=1&y=two", server.get("REQUEST_URI"));
        assertEquals("x=1&y=two", server.get("QUERY_STRING"));
        assertEquals(docRoot, server.get("DOCUMENT_ROOT"));
        assertEquals("hello", server.get("HTTP_X_TEST"));
        assertEquals("127.0.0.1", server.get("REMOTE_ADDR"));
        assertEquals("127.0.0.1", server.get("SERVER_NAME"));
        assertEquals("CGI/1.1", server.get("GATEWAY_INTERFACE"));
        assertEquals(Map.of("x", "1", "y", "two"), map(json, "get"));
        assertEquals(Map.of("c1", "v1", "c2", "v2"), map(json, "cookie"));
        assertEquals(List.of("first=one", "second=two"), response.headers().allValues("Set-Cookie"));
        assertEquals("php-fpm", response.headers().firstValue("X-Powered-By-Test").orElse(null));
    }

    @Test
    @DisplayName("POST a form: $_POST")
    void postForm() throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri("/gateway.php")).timeout(WAIT)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(BodyPublishers.ofString("a=1&b=caf%C3%A9&list%5B%5D=x&list%5B%5D=y")).build(),
                BodyHandlers.ofString());
        Map<String, Object> json = php(response);
        Map<String, Object> post = map(json, "post");
        assertEquals("1", post.get("a"));
        assertEquals("café", post.get("b"));
        assertEquals(List.of("x", "y"), post.get("list"));
        assertEquals("application/x-www-form-urlencoded", map(json, "server").get("CONTENT_TYPE"));
    }

    @Test
    @DisplayName("php://input: a 5 MB body with Content-Length, and a chunked one (CONTENT_LENGTH from the spool)")
    void rawInput() throws Exception {
        byte[] body = new byte[5 << 20];
        new Random(3).nextBytes(body);
        Map<String, Object> json = php(http.send(HttpRequest.newBuilder(uri("/gateway.php")).timeout(WAIT)
                .header("Content-Type", "application/octet-stream").POST(BodyPublishers.ofByteArray(body)).build(),
                BodyHandlers.ofString()));
        assertEquals((long) body.length, json.get("input_length"));
        assertEquals(Sha256.hex(body), json.get("input_sha256"));

        byte[] chunked = "{\"chunked\": true}".repeat(20_000).getBytes(StandardCharsets.UTF_8);
        json = php(http.send(HttpRequest.newBuilder(uri("/gateway.php")).timeout(WAIT)
                .header("Content-Type", "application/json")
                .POST(BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(chunked))).build(),
                BodyHandlers.ofString()));
        assertEquals((long) chunked.length, json.get("input_length"));
        assertEquals(Sha256.hex(chunked), json.get("input_sha256"));
        assertEquals(Integer.toString(chunked.length), map(json, "server").get("CONTENT_LENGTH"));
    }

    @Test
    @DisplayName("a script that does not exist: php-fpm's 404 passes through")
    void missingScript() throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri("/nope.php")).timeout(WAIT).build(),
                BodyHandlers.ofString());
        assertEquals(404, response.statusCode());
        assertTrue(response.body().contains("File not found"), response.body());
    }
}
