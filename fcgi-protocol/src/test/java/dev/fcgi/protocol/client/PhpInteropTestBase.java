package dev.fcgi.protocol.client;

import dev.fcgi.protocol.FcgiProtocolStatus;
import dev.fcgi.protocol.testing.ExternalProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static dev.fcgi.protocol.client.Await.get;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The same conversation with a real PHP behind FastCGI: custom status, headers and cookie, stderr, a POST echoed,
 * a 20 MB response streamed, GET_VALUES. Subclasses start php-fpm or php-cgi (and are skipped when it is not
 * installed); the process is stopped after each test whatever its outcome.
 */
abstract class PhpInteropTestBase {

    @TempDir
    Path dir;
    Path script;
    ExternalProcess app;
    FcgiClient client;

    /** Starts the application in {@link #dir}. */
    abstract ExternalProcess start() throws Exception;

    abstract SocketAddress address();

    /** Client options the application needs. */
    FcgiClient.Builder options(FcgiClient.Builder builder) {
        return builder;
    }

    @BeforeEach
    void startApp() throws Exception {
        script = dir.resolve("interop.php");
        try (InputStream in = PhpInteropTestBase.class.getResourceAsStream("/php/interop.php")) {
            Files.copy(in, script);
        }
        app = start();
        client = options(FcgiClient.builder().address(address())).build();
    }

    @AfterEach
    void stopApp() {
        try {
            if (client != null) {
                client.close();
            }
        } finally {
            if (app != null) {
                app.close();
            }
        }
    }

    FcgiClientResponse get(String query) throws Exception {
        return Await.get(client.send(FcgiClientRequest.get(script.toString(), query)));
    }

    @Test
    void getWithCustomStatusHeadersCookieAndStderr() throws Exception {
        try (FcgiClientResponse response = get("name=interop")) {
            assertEquals(201, response.status(), app.log());
            assertEquals("Created", response.reason());
            assertEquals(List.of("one", "two"), response.headers("x-custom"));
            assertTrue(response.header("Set-Cookie").startsWith("session=abc123"), response.header("Set-Cookie"));
            assertEquals("text/plain; charset=utf-8", response.header("Content-Type"));
            assertTrue(response.bodyAsString().startsWith("hello interop from pid "));
            assertEquals(0, response.appStatus());
            assertEquals(FcgiProtocolStatus.REQUEST_COMPLETE, response.protocolStatus());
            assertTrue(response.stderr().contains("interop stderr line"), response.stderr());
        }
    }

    @Test
    void postBodyIsEchoed() throws Exception {
        byte[] body = new byte[3_000_000];
        new Random(7).nextBytes(body);
        FcgiClientRequest request = FcgiClientRequest.post(script.toString(), "application/octet-stream", body);
        try (FcgiClientResponse response = Await.get(client.send(request))) {
            assertEquals(200, response.status(), response.stderr());
            assertEquals(String.valueOf(body.length), response.header("X-Body-Length"));
            assertEquals(FcgiClientSpecTest.sha256(body), response.header("X-Body-Sha256"));
            assertArrayEquals(body, response.bodyAsBytes());
        }
    }

    @Test
    void twentyMegabyteResponseIsStreamed() throws Exception {
        long size = 20_000_000;
        try (FcgiClientResponse response = get("size=" + size)) {
            assertEquals(200, response.status(), response.stderr());
            MessageDigest digest = FakeFcgiServer.sha256();
            byte[] buf = new byte[65536];
            long read = 0;
            InputStream in = response.body();
            for (int n; (n = in.read(buf)) >= 0; ) {
                digest.update(buf, 0, n);
                read += n;
                assertTrue(response.bodyStream().bufferedBytes() <= 4L * 1024 * 1024,
                        "the client buffers a bounded part of the body");
            }
            assertEquals(size, read);
            assertEquals(FcgiClientFlowTest.patternSha256(size), HexFormat.of().formatHex(digest.digest()));
            assertEquals(0, response.appStatus());
        }
    }

    @Test
    void sequentialRequestsReuseTheConnection() throws Exception {
        for (int i = 0; i < 5; i++) {
            try (FcgiClientResponse response = get("name=" + i)) {
                assertTrue(response.bodyAsString().startsWith("hello " + i + " "));
            }
        }
        assertEquals(1, client.pool.connectionCount());
    }

    @Test
    void keptConnectionServesAPostThenAGet() throws Exception {
        for (int i = 0; i < 3; i++) {
            byte[] body = ("post " + i).getBytes(java.nio.charset.StandardCharsets.UTF_8);
            try (FcgiClientResponse response = Await.get(client.send(
                    FcgiClientRequest.post(script.toString(), "text/plain", body)))) {
                assertArrayEquals(body, response.bodyAsBytes());
            }
            try (FcgiClientResponse response = get("name=after-post")) {
                assertTrue(response.bodyAsString().startsWith("hello after-post "));
            }
        }
        assertEquals(1, client.pool.dialledCount(), "one connection for all six requests");
    }

    @Test
    void getValuesSaysPhpDoesNotMultiplex() throws Exception {
        Map<String, String> values = Await.get(client.getValues("FCGI_MPXS_CONNS", "FCGI_MAX_REQS"));
        assertEquals("0", values.get("FCGI_MPXS_CONNS"), values.toString());
    }
}
