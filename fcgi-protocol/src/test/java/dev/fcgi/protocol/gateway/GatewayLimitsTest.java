package dev.fcgi.protocol.gateway;

import dev.fcgi.protocol.testing.Await;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.stream.IntStream;

import static dev.fcgi.protocol.testing.LimitValues.edgesAndSeeded;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Every limit of {@link HttpGateway}, each with input just under it (forwarded as usual) and just over it (the
 * status nginx would answer, or the close), the connection or the next request unharmed. Values are edges plus one
 * drawn from a fixed seed ({@link dev.fcgi.protocol.testing.LimitValues}). Past the timeouts, the reactions are also
 * in {@link HttpGatewayTest} (504, 408, the client that stops reading).
 */
class GatewayLimitsTest extends GatewayTestBase {

    private static String bodyLength(RawHttp.Response response) {
        assertEquals(200, response.status(), response.text());
        return EchoBackend.parse(response.text()).get("BODY_LENGTH");
    }

    static IntStream bodySizes() {
        return edgesAndSeeded(1, 2 << 20, 0, 1000, 1 << 20);
    }

    @ParameterizedTest(name = "maxRequestBodySize {0}")
    @MethodSource("bodySizes")
    @DisplayName("maxRequestBodySize: a body of exactly the limit is forwarded, one byte more gets 413 and the close,"
            + " by Content-Length (before 100 Continue) or chunked")
    void maxRequestBodySize(int limit) throws Exception {
        start(b -> b.maxRequestBodySize(limit));
        try (RawHttp c = raw()) {
            c.send("POST /up.php HTTP/1.1\nHost: x\nContent-Length: " + limit + "\n\n").send(new byte[limit]);
            assertEquals(Integer.toString(limit), bodyLength(c.read()));
            c.send("POST /up.php HTTP/1.1\nHost: x\nTransfer-Encoding: chunked\n\n");
            c.chunk(new byte[limit]).chunk(new byte[0]);
            assertEquals(Integer.toString(limit), bodyLength(c.read()), "chunked, on the same connection");
        }
        try (RawHttp c = raw()) {
            c.send("POST /up.php HTTP/1.1\nHost: x\nContent-Length: " + (limit + 1) + "\nExpect: 100-continue\n\n");
            RawHttp.Response response = c.read();
            assertEquals(413, response.status(), "answered at once, without 100 Continue");
            assertEquals("close", response.header("Connection"));
            assertTrue(c.closedByServer());
        }
        try (RawHttp c = raw()) {
            c.send("POST /up.php HTTP/1.1\nHost: x\nTransfer-Encoding: chunked\n\n");
            c.chunk(new byte[limit + 1]);
            assertEquals(413, c.read().status());
            assertTrue(c.closedByServer());
        }
        assertEquals(2, backend.requests.get(), "what was over the limit never reached the backend");
    }

    @Test
    @DisplayName("request line: 8,192 bytes are forwarded, 8,193 get 414 and the close")
    void requestLine() throws Exception {
        start(b -> { });
        for (int length : new int[] {GatewayConfig.MAX_REQUEST_LINE, GatewayConfig.MAX_REQUEST_LINE + 1}) {
            String line = "GET /" + "a".repeat(length - 18) + ".php HTTP/1.1";
            assertEquals(length, line.length());
            try (RawHttp c = raw()) {
                c.send(line + "\nHost: x\n\n");
                if (length == GatewayConfig.MAX_REQUEST_LINE) {
                    assertEquals(200, c.read().status());
                } else {
                    assertEquals(414, c.read().status());
                    assertTrue(c.closedByServer());
                }
            }
        }
    }

    @Test
    @DisplayName("request headers: 32,768 bytes of header lines are forwarded, 32,769 get 431 and the close")
    void requestHeaders() throws Exception {
        start(b -> { });
        for (int length : new int[] {GatewayConfig.MAX_HEADER_SIZE, GatewayConfig.MAX_HEADER_SIZE + 1}) {
            String big = "X-Big: " + "b".repeat(length - "Host: x".length() - "X-Big: ".length());
            try (RawHttp c = raw()) {
                c.send("GET /x.php HTTP/1.1\nHost: x\n" + big + "\n\n");
                if (length == GatewayConfig.MAX_HEADER_SIZE) {
                    RawHttp.Response response = c.read();
                    assertEquals(200, response.status());
                    assertEquals(big.length() - 7, EchoBackend.parse(response.text()).get("HTTP_X_BIG").length());
                } else {
                    assertEquals(431, c.read().status());
                    assertTrue(c.closedByServer());
                }
            }
        }
    }

    static IntStream spoolThresholds() {
        return edgesAndSeeded(1, 1 << 20, 0, 1000, 64 * 1024);
    }

    @ParameterizedTest(name = "bodySpoolThreshold {0}")
    @MethodSource("spoolThresholds")
    @DisplayName("bodySpoolThreshold: a chunked body of exactly the threshold is spooled in memory, one byte more in"
            + " an unlinked file")
    void bodySpoolThreshold(int threshold, @TempDir Path spool) throws Exception {
        for (int length : new int[] {threshold, threshold + 1}) {
            byte[] body = new byte[length];
            new Random(length).nextBytes(body);
            try (BodySpool spooled = BodySpool.spool(new ByteArrayInputStream(body), threshold, spool)) {
                assertEquals(length > threshold, spooled.isOnDisk(), length + " bytes");
                assertEquals(length, spooled.length());
                try (InputStream in = spooled.isOnDisk() ? spooled.openFile()
                        : new ByteArrayInputStream(spooled.bytes())) {
                    assertArrayEquals(body, in.readAllBytes());
                }
            }
        }
    }

    @Test
    @DisplayName("requestTimeout (from forwarding to END_REQUEST, body included): a backend answering within it and a"
            + " body trickled within it are forwarded (past it: 504, or 408 while the body was awaited)")
    void requestTimeout() throws Exception {
        start(b -> b.requestTimeout(Duration.ofMillis(600)));
        try (RawHttp c = raw()) {
            c.send("GET /slow.php HTTP/1.1\nHost: x\n\n");
            Await.until(WAIT, () -> backend.requests.get() == 1, "the request reached the backend");
            Thread.sleep(150);                                  // a slow backend, within the timeout
            backend.release.countDown();
            assertEquals(200, c.read().status());
            c.send("POST /up.php HTTP/1.1\nHost: x\nContent-Length: 30\n\n");
            for (int i = 0; i < 6; i++) {
                c.send("piece".getBytes(StandardCharsets.US_ASCII));
                Thread.sleep(50);                               // 300 ms in all, within the timeout
            }
            assertEquals("30", bodyLength(c.read()));
        }
    }

    @Test
    @DisplayName("keepAliveTimeout: requests 150 ms apart keep a connection past it; one that trickles its request"
            + " head is closed after it all the same")
    void keepAliveTimeout() throws Exception {
        start(b -> b.keepAliveTimeout(Duration.ofMillis(600)));
        try (RawHttp c = raw()) {
            for (int i = 0; i < 6; i++) {
                c.send("GET /one.php HTTP/1.1\nHost: x\n\n");
                assertEquals(200, c.read().status());
                Thread.sleep(150);                              // 900 ms in all
            }
        }
        try (RawHttp c = raw()) {
            byte[] head = "GET /x.php HTTP/1.1\r\nHost: x\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII);
            int sent = 0;
            try {
                for (; sent < 400; sent++) {                    // one byte every 50 ms, never the end of the head
                    c.send(new byte[] {sent < head.length ? head[sent] : (byte) 'z'});
                    Thread.sleep(50);
                    if (c.input().available() > 0) {
                        break;
                    }
                }
            } catch (IOException reset) {
                // closed while trickling
            }
            assertTrue(sent < 400, "still open after 20 s of a trickled request head");
            assertTrue(c.closedByServer());
        }
        assertEquals(6, backend.requests.get());
    }

    @Test
    @DisplayName("writeTimeout: a client that reads a 4 MiB response slowly, but within it, gets all of it")
    void writeTimeout() throws Exception {
        start(b -> b.writeTimeout(Duration.ofMillis(600)));
        long size = 4 << 20;
        try (RawHttp c = raw()) {
            c.send("GET /big.php?size=" + size + " HTTP/1.1\nHost: x\n\n");
            RawHttp.Response head = c.readHead();
            assertEquals(200, head.status());
            long read = 0;
            byte[] buffer = new byte[64 * 1024];
            for (int n; read < size && (n = c.input().read(buffer)) > 0; ) {
                read += n;
                if (read % (512 * 1024) < n) {
                    Thread.sleep(100);                          // a slow reader, within the timeout
                }
            }
            assertTrue(read >= size, read + " bytes");
        }
        assertEquals(1, backend.aborted.getCount(), "the backend's request was not aborted");
    }
}
