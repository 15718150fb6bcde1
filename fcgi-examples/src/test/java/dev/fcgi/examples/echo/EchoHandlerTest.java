package dev.fcgi.examples.echo;

import dev.fcgi.protocol.server.FcgiServer;
import dev.fcgi.protocol.testing.MiniJson;
import dev.fcgi.protocol.testing.RawFcgiConnection;
import dev.fcgi.protocol.testing.RawFcgiConnection.Response;
import dev.fcgi.protocol.testing.Sha256;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;

import static dev.fcgi.protocol.testing.RawFcgiConnection.*;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.*;

/** The echo example's contract, over a raw FastCGI connection: what it answers, its three params, and bad values. */
class EchoHandlerTest {

    private static final int RESPONDER = 1, AUTHORIZER = 2, FILTER = 3;

    private FcgiServer server;
    private RawFcgiConnection conn;

    @BeforeEach
    void start() throws IOException {
        server = FcgiServer.builder().listen(new InetSocketAddress("127.0.0.1", 0)).handler(new EchoHandler())
                .build().start();
        conn = RawFcgiConnection.connect(server.localAddress());
    }

    @AfterEach
    void stop() throws IOException {
        conn.close();
        server.close();
    }

    @Test
    @DisplayName("JSON: role, requestId, keepConn, every param in order with duplicates, stdin's length and SHA-256")
    void json() throws Exception {
        ByteArrayOutputStream params = new ByteArrayOutputStream();
        pair(params, "A".getBytes(UTF_8), "1".getBytes(UTF_8));
        pair(params, "QUOTE".getBytes(UTF_8), "say \"hi\"\\\n\u00e9".getBytes(UTF_8));
        pair(params, "A".getBytes(UTF_8), "2".getBytes(UTF_8));
        conn.begin(7, RESPONDER, true).stream(PARAMS, 7, params.toByteArray()).write(record(PARAMS, 7, new byte[0]));
        byte[] body = "hello body".getBytes(UTF_8);
        conn.stdin(7, body);
        Response response = conn.readResponse(7);
        assertTrue(response.text().startsWith("Status: 200 OK\r\nContent-Type: application/json\r\n\r\n"),
                response.text());
        Map<String, Object> json = MiniJson.parseObject(response.body());
        assertEquals("RESPONDER", json.get("role"));
        assertEquals(7L, ((Number) json.get("requestId")).longValue());
        assertEquals(true, json.get("keepConn"));
        assertEquals(List.of(List.of("A", "1"), List.of("QUOTE", "say \"hi\"\\\n\u00e9"), List.of("A", "2")),
                json.get("params"));
        assertEquals(Map.of("length", 10L, "sha256", Sha256.hex(body)), normalise(json.get("stdin")));
        assertEquals(Map.of("length", 0L, "sha256", Sha256.hex(new byte[0])), normalise(json.get("data")));
    }

    @Test
    @DisplayName("FILTER: the DATA stream is counted; AUTHORIZER: the role is named")
    void filterAndAuthorizer() throws Exception {
        conn.begin(1, FILTER, true).params(1, Map.of("FCGI_DATA_LENGTH", "100000"));
        conn.stdin(1, "in".getBytes(UTF_8));
        byte[] data = new byte[100_000];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) i;
        }
        conn.stream(DATA, 1, data).write(record(DATA, 1, new byte[0]));
        Map<String, Object> filter = MiniJson.parseObject(conn.readResponse(1).body());
        assertEquals("FILTER", filter.get("role"));
        assertEquals(Map.of("length", 100_000L, "sha256", Sha256.hex(data)), normalise(filter.get("data")));

        conn.begin(2, AUTHORIZER, true).params(2, Map.of()).stdin(2, new byte[0]);
        assertEquals("AUTHORIZER", MiniJson.parseObject(conn.readResponse(2).body()).get("role"));
    }

    @Test
    @DisplayName("ECHO_BYTES=n: n body bytes, byte i being i % 251; ECHO_STDERR: the text on FCGI_STDERR")
    void bytesAndStderr() throws Exception {
        conn.request(1, true, Map.of("ECHO_BYTES", "70000", "ECHO_STDERR", "to the error log"), new byte[0]);
        Response response = conn.readResponse(1);
        assertEquals(200, response.status());
        assertTrue(response.headers().contains("Content-Type: application/octet-stream"), response.headers());
        byte[] stdout = response.stdout();
        int headEnd = new String(stdout, java.nio.charset.StandardCharsets.ISO_8859_1).indexOf("\r\n\r\n") + 4;
        byte[] body = java.util.Arrays.copyOfRange(stdout, headEnd, stdout.length);
        assertEquals(70_000, body.length);
        for (int i = 0; i < body.length; i++) {
            assertEquals((byte) (i % 251), body[i], "byte " + i);
        }
        assertEquals("to the error log", new String(response.stderr(), UTF_8));

        conn.request(2, true, Map.of("ECHO_BYTES", "0"), new byte[0]);
        assertEquals("", conn.readResponse(2).body());
    }

    @Test
    @DisplayName("ECHO_SLEEP_MS: the answer waits, and an abort cuts the wait short")
    void sleepCutShortByAbort() throws Exception {
        conn.request(1, true, Map.of("ECHO_SLEEP_MS", Long.toString(EchoHandler.MAX_SLEEP_MS)), new byte[0]);
        conn.send(ABORT_REQUEST, 1, new byte[0]);
        Response response = conn.timeout(java.time.Duration.ofSeconds(20)).readResponse(1);
        assertEquals(0, response.end().protocolStatus(), "ended by the abort, long before ten minutes");
        conn.request(2, true, Map.of("ECHO_SLEEP_MS", "1"), new byte[0]);
        assertEquals(200, conn.readResponse(2).status());
    }

    @ParameterizedTest
    @ValueSource(strings = {"-1", "abc", "", " 5", "1e3", "0x10", "9999999999999999999", "99999999999999999999",
            "1099511627777"})
    @DisplayName("a bad ECHO_BYTES: 400 with an error naming it, nothing streamed")
    void badBytes(String value) throws Exception {
        assertBadValue("ECHO_BYTES", value, EchoHandler.MAX_BYTES);
    }

    @ParameterizedTest
    @ValueSource(strings = {"-5", "abc", "", "9223372036854775807", "600001"})
    @DisplayName("a bad ECHO_SLEEP_MS: 400 with an error naming it, no wait")
    void badSleep(String value) throws Exception {
        assertBadValue("ECHO_SLEEP_MS", value, EchoHandler.MAX_SLEEP_MS);
    }

    private void assertBadValue(String name, String value, long max) throws Exception {
        conn.request(1, true, Map.of(name, value), "body".getBytes(UTF_8));
        Response response = conn.readResponse(1);
        assertEquals(400, response.status(), response.text());
        assertEquals(Map.of("error", name + ": '" + value + "' (expected: a whole number from 0 to " + max + ")"),
                MiniJson.parseObject(response.body()));
        conn.request(2, true, Map.of(), new byte[0]);
        assertEquals(200, conn.readResponse(2).status(), "the connection goes on");
    }

    /** A parsed {@code {"length": n, "sha256": hex}} with its number as a long. */
    private static Map<String, Object> normalise(Object digest) {
        @SuppressWarnings("unchecked")
        Map<String, Object> map = (Map<String, Object>) digest;
        return Map.of("length", ((Number) map.get("length")).longValue(), "sha256", map.get("sha256"));
    }
}
