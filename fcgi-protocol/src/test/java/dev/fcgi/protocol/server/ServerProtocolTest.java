package dev.fcgi.protocol.server;

import dev.fcgi.protocol.testing.RawFcgiConnection;
import dev.fcgi.protocol.testing.RawFcgiConnection.Record;
import dev.fcgi.protocol.testing.RawFcgiConnection.Response;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static dev.fcgi.protocol.testing.RawFcgiConnection.*;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The application side of the FastCGI conversation, statement by statement (numbers from
 * shared/reference/fastcgi-spec.md), against a real server over loopback.
 */
class ServerProtocolTest {

    private static final FcgiHandler HELLO = (request, response) -> {
        response.contentType("text/plain");
        response.body().write(("hello " + request.param("NAME")).getBytes(UTF_8));
    };

    private static final FcgiHandler ECHO_BODY = (request, response) -> {
        byte[] body = request.body().readAllBytes();
        response.contentType("application/octet-stream");
        response.body().write(body);
    };

    private static Map<String, String> params(String... pairs) {
        Map<String, String> map = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            map.put(pairs[i], pairs[i + 1]);
        }
        return map;
    }

    @Test
    @DisplayName("spec 20, 21, 23: GET_VALUES gets one GET_VALUES_RESULT with the real limits, unknown names left out")
    void getValues() throws Exception {
        try (ServerFixture fixture = new ServerFixture(HELLO, b -> b.maxConnections(7).maxConcurrentRequests(99));
             RawFcgiConnection conn = fixture.connect()) {
            ByteArrayOutputStream query = new ByteArrayOutputStream();
            for (String name : List.of("FCGI_MAX_CONNS", "FCGI_MAX_REQS", "FCGI_MPXS_CONNS", "FCGI_UNKNOWN_NAME")) {
                pair(query, name.getBytes(UTF_8), new byte[0]);
            }
            conn.send(GET_VALUES, 0, query.toByteArray());
            Record result = conn.readRecord();
            assertEquals(GET_VALUES_RESULT, result.type());
            assertEquals(0, result.requestId());
            ByteArrayOutputStream expected = new ByteArrayOutputStream();
            pair(expected, "FCGI_MAX_CONNS".getBytes(UTF_8), "7".getBytes(UTF_8));
            pair(expected, "FCGI_MAX_REQS".getBytes(UTF_8), "99".getBytes(UTF_8));
            pair(expected, "FCGI_MPXS_CONNS".getBytes(UTF_8), "1".getBytes(UTF_8));
            assertArrayEquals(expected.toByteArray(), result.content());

            conn.send(GET_VALUES, 0, new byte[0]);
            Record empty = conn.readRecord();
            assertEquals(GET_VALUES_RESULT, empty.type());
            assertEquals(0, empty.content().length, "a query with no names gets an empty result");

            // Spec 23: no trailing record; the connection still serves a request (spec 22).
            conn.request(1, true, params("NAME", "x"), new byte[0]);
            assertEquals("hello x", conn.readResponse(1).body());
        }
    }

    @Test
    @DisplayName("spec 21: FCGI_MPXS_CONNS is 0 when multiplexing is off")
    void getValuesWithoutMultiplexing() throws Exception {
        try (ServerFixture fixture = new ServerFixture(HELLO, b -> b.maxRequestsPerConnection(1));
             RawFcgiConnection conn = fixture.connect()) {
            ByteArrayOutputStream query = new ByteArrayOutputStream();
            pair(query, "FCGI_MPXS_CONNS".getBytes(UTF_8), new byte[0]);
            conn.send(GET_VALUES, 0, query.toByteArray());
            ByteArrayOutputStream expected = new ByteArrayOutputStream();
            pair(expected, "FCGI_MPXS_CONNS".getBytes(UTF_8), "0".getBytes(UTF_8));
            assertArrayEquals(expected.toByteArray(), conn.readRecord().content());
        }
    }

    @Test
    @DisplayName("spec 21, 46: with one request at a time server-wide, GET_VALUES says FCGI_MPXS_CONNS=0 and a"
            + " second BEGIN_REQUEST on the connection gets FCGI_CANT_MPX_CONN while the first goes on")
    void oneRequestServerWideIsNotMultiplexing() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch entered = new CountDownLatch(1);
        FcgiHandler handler = (request, response) -> {
            entered.countDown();
            release.await();
            response.body().write("first".getBytes(UTF_8));
        };
        try (ServerFixture fixture = new ServerFixture(handler, b -> b.maxConcurrentRequests(1));
             RawFcgiConnection conn = fixture.connect()) {
            ByteArrayOutputStream query = new ByteArrayOutputStream();
            pair(query, "FCGI_MPXS_CONNS".getBytes(UTF_8), new byte[0]);
            pair(query, "FCGI_MAX_REQS".getBytes(UTF_8), new byte[0]);
            conn.send(GET_VALUES, 0, query.toByteArray());
            ByteArrayOutputStream expected = new ByteArrayOutputStream();
            pair(expected, "FCGI_MPXS_CONNS".getBytes(UTF_8), "0".getBytes(UTF_8));
            pair(expected, "FCGI_MAX_REQS".getBytes(UTF_8), "1".getBytes(UTF_8));
            assertArrayEquals(expected.toByteArray(), conn.readRecord().content());

            conn.request(1, true, params(), new byte[0]);
            assertTrue(entered.await(20, TimeUnit.SECONDS));
            conn.request(2, true, params(), new byte[0]);
            Record refused = conn.readRecord();
            assertEquals(END_REQUEST, refused.type());
            assertEquals(2, refused.requestId());
            assertArrayEquals(new byte[] {0, 0, 0, 0, 1, 0, 0, 0}, refused.content(), "{0, FCGI_CANT_MPX_CONN}");
            release.countDown();
            Response first = conn.readResponse(1);
            assertEquals("first", first.body());
            assertEquals(0, first.end().protocolStatus());
        }
    }

    @Test
    @DisplayName("spec 31: STDIN after the end of STDIN is a protocol error for the request: it is answered 400,"
            + " and the connection and its other requests go on")
    void stdinAfterItsEnd() throws Exception {
        CountDownLatch bodyRead = new CountDownLatch(1);
        FcgiHandler handler = (request, response) -> {
            byte[] body = request.body().readAllBytes();
            if (request.requestId() == 1) {
                bodyRead.countDown();
                new CountDownLatch(1).await();              // request 1 stays active until the server ends it
            }
            response.body().write(body);
        };
        try (ServerFixture fixture = new ServerFixture(handler); RawFcgiConnection conn = fixture.connect()) {
            conn.begin(1, 1, true).params(1, params()).stdin(1, "abc".getBytes(UTF_8));
            assertTrue(bodyRead.await(20, TimeUnit.SECONDS));
            conn.stream(STDIN, 1, "late".getBytes(UTF_8));
            Response response = conn.readResponse(1);
            assertEquals(400, response.status(), response.text());
            assertTrue(response.text().contains("STDIN after the end of STDIN"), response.text());
            assertNotEquals(0, response.end().appStatus());
            assertEquals(0, response.end().protocolStatus());
            conn.request(2, true, params(), "ok".getBytes(UTF_8));
            assertEquals("ok", conn.readResponse(2).body());
        }
    }

    @Test
    @DisplayName("spec 22: GET_VALUES while a request is active is answered without disturbing it")
    void getValuesDuringRequest() throws Exception {
        try (ServerFixture fixture = new ServerFixture(ECHO_BODY); RawFcgiConnection conn = fixture.connect()) {
            conn.begin(1, 1, true).params(1, params("A", "b")).stream(STDIN, 1, "part1".getBytes(UTF_8));
            ByteArrayOutputStream query = new ByteArrayOutputStream();
            pair(query, "FCGI_MPXS_CONNS".getBytes(UTF_8), new byte[0]);
            conn.send(GET_VALUES, 0, query.toByteArray());
            List<Record> others = new ArrayList<>();
            conn.stdin(1, "part2".getBytes(UTF_8));
            Response response = conn.readResponse(1, others);
            assertEquals("part1part2", response.body());
            assertEquals(1, others.size());
            assertEquals(GET_VALUES_RESULT, others.get(0).type());
        }
    }

    @Test
    @DisplayName("spec 24: an unknown management type gets UNKNOWN_TYPE and the connection stays open")
    void unknownManagementType() throws Exception {
        try (ServerFixture fixture = new ServerFixture(HELLO); RawFcgiConnection conn = fixture.connect()) {
            conn.send(0x14, 0, new byte[] {1, 2, 3});
            Record answer = conn.readRecord();
            assertEquals(UNKNOWN_TYPE, answer.type());
            assertEquals(0, answer.requestId());
            assertArrayEquals(HexFormat.of().parseHex("1400000000000000"), answer.content());
            conn.request(1, true, params("NAME", "y"), new byte[0]);
            assertEquals("hello y", conn.readResponse(1).body());
        }
    }

    @Test
    @DisplayName("spec 25, 7: GET_VALUES with a non-zero id, unknown types with a request id and app-to-server types are ignored")
    void ignoredRecords() throws Exception {
        try (ServerFixture fixture = new ServerFixture(HELLO); RawFcgiConnection conn = fixture.connect()) {
            ByteArrayOutputStream query = new ByteArrayOutputStream();
            pair(query, "FCGI_MPXS_CONNS".getBytes(UTF_8), new byte[0]);
            conn.send(GET_VALUES, 5, query.toByteArray());
            conn.send(0x20, 5, new byte[] {9});
            conn.send(END_REQUEST, 5, new byte[8]);
            conn.send(STDOUT, 5, "x".getBytes(UTF_8));
            conn.send(STDERR, 5, "x".getBytes(UTF_8));
            conn.send(GET_VALUES_RESULT, 0, new byte[0]);
            conn.send(UNKNOWN_TYPE, 0, new byte[8]);
            conn.request(1, true, params("NAME", "z"), new byte[0]);
            Response response = conn.readResponse(1);
            assertEquals("hello z", response.body(), "the first record read is the answer to request 1");
        }
    }

    @Test
    @DisplayName("spec 27, 31: records for an id never begun, and STDIN after its end, are ignored silently")
    void recordsForInactiveIds() throws Exception {
        try (ServerFixture fixture = new ServerFixture(ECHO_BODY); RawFcgiConnection conn = fixture.connect()) {
            conn.params(9, params("A", "b")).stdin(9, "zzz".getBytes(UTF_8));
            conn.send(ABORT_REQUEST, 9, new byte[0]);
            conn.send(DATA, 9, "d".getBytes(UTF_8));
            conn.begin(1, 1, true).params(1, params()).stdin(1, "abc".getBytes(UTF_8));
            assertEquals("abc", conn.readResponse(1).body());
            conn.stdin(1, "late".getBytes(UTF_8));                     // request 1 has ended
            conn.request(2, true, params(), "ok".getBytes(UTF_8));
            assertEquals("ok", conn.readResponse(2).body());
        }
    }

    @Test
    @DisplayName("spec 33, 34: response order is STDOUT..., empty STDOUT, empty STDERR (when used), END_REQUEST")
    void responseOrder() throws Exception {
        FcgiHandler handler = (request, response) -> {
            response.stderr().write("warning".getBytes(UTF_8));
            response.appStatus(7);
            response.body().write("body".getBytes(UTF_8));
        };
        try (ServerFixture fixture = new ServerFixture(handler); RawFcgiConnection conn = fixture.connect()) {
            conn.request(1, true, params(), new byte[0]);
            Response response = conn.readResponse(1);
            List<Record> records = response.records();
            Record last = records.get(records.size() - 1);
            assertEquals(END_REQUEST, last.type());
            assertEquals(7, last.appStatus());
            assertEquals(0, last.protocolStatus());
            Record stderrEnd = records.get(records.size() - 2);
            assertEquals(STDERR, stderrEnd.type());
            assertEquals(0, stderrEnd.content().length);
            Record stdoutEnd = records.get(records.size() - 3);
            assertEquals(STDOUT, stdoutEnd.type());
            assertEquals(0, stdoutEnd.content().length);
            assertEquals("warning", new String(response.stderr(), UTF_8));
            assertEquals("Status: 200 OK\r\n\r\nbody", response.text());
        }
    }

    @Test
    @DisplayName("spec 19, 38: an empty PARAMS stream still runs the handler; an empty response is a header block")
    void emptyParamsAndBody() throws Exception {
        FcgiHandler handler = (request, response) -> response.status(204);
        try (ServerFixture fixture = new ServerFixture(handler); RawFcgiConnection conn = fixture.connect()) {
            conn.request(1, true, params(), new byte[0]);
            Response response = conn.readResponse(1);
            assertEquals("Status: 204 No Content\r\n\r\n", response.text());
            assertFalse(response.records().stream().anyMatch(r -> r.type() == STDERR), "no STDERR when unused");
        }
    }

    @Test
    @DisplayName("spec 39: without KEEP_CONN the connection is closed after END_REQUEST")
    void closesWithoutKeepConn() throws Exception {
        try (ServerFixture fixture = new ServerFixture(HELLO); RawFcgiConnection conn = fixture.connect()) {
            conn.request(1, false, params("NAME", "a"), new byte[0]);
            assertEquals("hello a", conn.readResponse(1).body());
            assertTrue(conn.awaitClosed());
        }
    }

    @Test
    @DisplayName("spec 40, 36: with KEEP_CONN the connection serves further requests, and ids are reused")
    void keepConnServesMore() throws Exception {
        try (ServerFixture fixture = new ServerFixture(HELLO); RawFcgiConnection conn = fixture.connect()) {
            for (int i = 0; i < 5; i++) {
                conn.request(1, true, params("NAME", "n" + i), new byte[0]);
                assertEquals("hello n" + i, conn.readResponse(1).body());
            }
        }
    }

    /** The record as it went on the wire (type, id, content; padding as the spec recommends). */
    private static String wire(Record record) {
        return HexFormat.of().formatHex(RawFcgiConnection.record(record.type(), record.requestId(), record.content()));
    }

    @Test
    @DisplayName("spec 29: an unknown role gets FCGI_UNKNOWN_ROLE and a kept connection stays usable")
    void unknownRole() throws Exception {
        try (ServerFixture fixture = new ServerFixture(HELLO, b -> b.roles(dev.fcgi.protocol.FcgiRole.RESPONDER));
             RawFcgiConnection conn = fixture.connect()) {
            conn.begin(1, 9, true).params(1, params()).stdin(1, new byte[0]);
            Record end = conn.readRecord();
            assertEquals(END_REQUEST, end.type());
            assertEquals(3, end.protocolStatus());
            assertEquals("0103000100080000" + "0000000003000000", wire(end),
                    "{END_REQUEST, 1, {appStatus 0, FCGI_UNKNOWN_ROLE}}");
            conn.begin(2, 2, true).params(2, params()).stdin(2, new byte[0]);
            Record notServed = conn.readRecord();
            assertEquals(2, notServed.requestId());
            assertEquals(3, notServed.protocolStatus(), "AUTHORIZER is not served by this server");
            conn.request(3, true, params("NAME", "r"), new byte[0]);
            assertEquals("hello r", conn.readResponse(3).body());
        }
    }

    @Test
    @DisplayName("spec 29, 39: an unknown role without FCGI_KEEP_CONN (flags 0) gets exactly {END_REQUEST, 1, {0,"
            + " FCGI_UNKNOWN_ROLE}} and then the connection closes; with FCGI_KEEP_CONN it stays open")
    void unknownRoleClosesWithoutKeepConn() throws Exception {
        try (ServerFixture fixture = new ServerFixture(HELLO); RawFcgiConnection conn = fixture.connect()) {
            conn.begin(1, 9, false).params(1, params()).stdin(1, new byte[0]);
            Record end = conn.readRecord();
            assertNotNull(end, "END_REQUEST before the close");
            assertEquals("0103000100080000" + "0000000003000000", wire(end));
            assertTrue(conn.awaitClosed(), "flags 0: closed after END_REQUEST, with no other record");
        }
        try (ServerFixture fixture = new ServerFixture(HELLO); RawFcgiConnection conn = fixture.connect()) {
            conn.begin(1, 9, true).params(1, params()).stdin(1, new byte[0]);
            assertEquals("0103000100080000" + "0000000003000000", wire(conn.readRecord()));
            // the connection is still open: GET_VALUES is answered on it, then a request is served
            ByteArrayOutputStream query = new ByteArrayOutputStream();
            pair(query, "FCGI_MPXS_CONNS".getBytes(UTF_8), new byte[0]);
            conn.send(GET_VALUES, 0, query.toByteArray());
            assertEquals(GET_VALUES_RESULT, conn.readRecord().type());
            assertFalse(conn.isClosedByPeer(), "FCGI_KEEP_CONN: not closed");
            conn.request(1, true, params("NAME", "kept"), new byte[0]);
            assertEquals("hello kept", conn.readResponse(1).body());
        }
    }

    @Test
    @DisplayName("spec 38: status 302 with a Location header is exactly 'Status: 302 Found', the Location line and the"
            + " blank line on STDOUT (no NPH status line)")
    void redirectResponse() throws Exception {
        FcgiHandler handler = (request, response) -> response.status(302).header("Location", "/x");
        try (ServerFixture fixture = new ServerFixture(handler); RawFcgiConnection conn = fixture.connect()) {
            conn.request(1, true, params(), new byte[0]);
            Response response = conn.readResponse(1);
            assertEquals("Status: 302 Found\r\nLocation: /x\r\n\r\n", response.text());
            assertEquals(0, response.end().appStatus());
            assertEquals(0, response.end().protocolStatus());
        }
    }

    @Test
    @DisplayName("spec 28: BEGIN_REQUEST for an active id closes the connection")
    void beginForActiveId() throws Exception {
        try (ServerFixture fixture = new ServerFixture(ECHO_BODY); RawFcgiConnection conn = fixture.connect()) {
            conn.begin(1, 1, true).params(1, params());
            conn.begin(1, 1, true);
            Record record;
            while ((record = conn.readRecord()) != null) {
                assertNotEquals(STDOUT, record.type(), "request 1 never got its body, so it cannot have answered");
            }
        }
    }

    @Test
    @DisplayName("spec 6: an application record with request id 0 closes the connection")
    void applicationRecordWithIdZero() throws Exception {
        try (ServerFixture fixture = new ServerFixture(HELLO); RawFcgiConnection conn = fixture.connect()) {
            conn.begin(0, 1, true);
            assertTrue(conn.awaitClosed());
        }
    }

    @Test
    @DisplayName("spec 4: a record with version 2 closes the connection; another connection is untouched")
    void wrongVersion() throws Exception {
        try (ServerFixture fixture = new ServerFixture(HELLO);
             RawFcgiConnection bad = fixture.connect();
             RawFcgiConnection good = fixture.connect()) {
            good.begin(1, 1, true);
            byte[] record = RawFcgiConnection.record(GET_VALUES, 0, new byte[0]);
            record[0] = 2;
            bad.write(record);
            assertTrue(bad.awaitClosed());
            good.params(1, params("NAME", "g")).stdin(1, new byte[0]);
            assertEquals("hello g", good.readResponse(1).body());
        }
    }

    @Test
    @DisplayName("spec 26: a BEGIN_REQUEST body that is not 8 bytes closes the connection")
    void shortBeginRequest() throws Exception {
        try (ServerFixture fixture = new ServerFixture(HELLO); RawFcgiConnection conn = fixture.connect()) {
            conn.send(BEGIN_REQUEST, 1, new byte[] {0, 1, 1});
            assertTrue(conn.awaitClosed());
        }
    }

    @Test
    @DisplayName("spec 3, 43: a request written one byte at a time, empty STDIN in a later write, gives the same answer")
    void byteByByte() throws Exception {
        try (ServerFixture fixture = new ServerFixture(ECHO_BODY); RawFcgiConnection conn = fixture.connect()) {
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            all.writeBytes(RawFcgiConnection.record(BEGIN_REQUEST, 1, new byte[] {0, 1, 1, 0, 0, 0, 0, 0}));
            all.writeBytes(RawFcgiConnection.record(PARAMS, 1, pairs(params("SERVER_PORT", "80"))));
            all.writeBytes(RawFcgiConnection.record(PARAMS, 1, new byte[0]));
            all.writeBytes(RawFcgiConnection.record(STDIN, 1, "body bytes".getBytes(UTF_8)));
            for (byte b : all.toByteArray()) {
                conn.write(new byte[] {b});
            }
            conn.write(RawFcgiConnection.record(STDIN, 1, new byte[0]));
            assertEquals("body bytes", conn.readResponse(1).body());
        }
    }

    @Test
    @DisplayName("spec 37: a handler exception gives a 500, END_REQUEST with a non-zero appStatus, and a usable connection")
    void handlerException() throws Exception {
        FcgiHandler handler = (request, response) -> {
            if (request.param("FAIL") != null) {
                throw new IllegalStateException("boom (expected by the test)");
            }
            response.body().write("fine".getBytes(UTF_8));
        };
        try (ServerFixture fixture = new ServerFixture(handler); RawFcgiConnection conn = fixture.connect()) {
            conn.request(1, true, params("FAIL", "1"), new byte[0]);
            Response failed = conn.readResponse(1);
            assertEquals(500, failed.status());
            assertNotEquals(0, failed.end().appStatus());
            conn.request(1, true, params(), new byte[0]);
            assertEquals("fine", conn.readResponse(1).body());
        }
    }

    @Test
    @DisplayName("spec 37: an exception after the response was committed truncates it but still ends it properly")
    void handlerExceptionAfterCommit() throws Exception {
        FcgiHandler handler = (request, response) -> {
            response.body().write("partial".getBytes(UTF_8));
            response.body().flush();
            throw new IllegalStateException("late failure (expected by the test)");
        };
        try (ServerFixture fixture = new ServerFixture(handler); RawFcgiConnection conn = fixture.connect()) {
            conn.request(1, true, params(), new byte[0]);
            Response response = conn.readResponse(1);
            assertEquals(200, response.status());
            assertEquals("partial", response.body());
            assertNotEquals(0, response.end().appStatus());
        }
    }

    @Test
    @DisplayName("spec 18: duplicate params are kept in order; param() returns the last; raw bytes survive")
    void duplicateParams() throws Exception {
        FcgiHandler handler = (request, response) -> response.body().write((request.param("X") + "|"
                + String.join(",", request.params().getAll("X")) + "|"
                + HexFormat.of().formatHex(request.params().getBytes("RAW"))).getBytes(UTF_8));
        try (ServerFixture fixture = new ServerFixture(handler); RawFcgiConnection conn = fixture.connect()) {
            ByteArrayOutputStream pairs = new ByteArrayOutputStream();
            pair(pairs, "X".getBytes(UTF_8), "1".getBytes(UTF_8));
            pair(pairs, "X".getBytes(UTF_8), "2".getBytes(UTF_8));
            pair(pairs, "RAW".getBytes(UTF_8), new byte[] {(byte) 0xFF, 0, (byte) 0xC3});
            conn.begin(1, 1, true).stream(PARAMS, 1, pairs.toByteArray()).params(1, params()).stdin(1, new byte[0]);
            assertEquals("2|1,2|ff00c3", conn.readResponse(1).body());
        }
    }

    @Test
    @DisplayName("typed getters read the CGI variables and HTTP_* headers")
    void typedGetters() throws Exception {
        FcgiHandler handler = (request, response) -> response.body().write(String.join("|",
                request.method(), request.requestUri(), request.queryString(), String.valueOf(request.contentLength()),
                request.header("user-agent"), request.header("Content-Type"), String.valueOf(request.isHttps()),
                String.valueOf(request.serverPort()), request.headers().toString()).getBytes(UTF_8));
        try (ServerFixture fixture = new ServerFixture(handler); RawFcgiConnection conn = fixture.connect()) {
            conn.request(1, true, params("REQUEST_METHOD", "POST", "REQUEST_URI", "/a?b=c", "QUERY_STRING", "b=c",
                    "CONTENT_LENGTH", "3", "CONTENT_TYPE", "text/plain", "HTTP_USER_AGENT", "curl/8",
                    "HTTP_X_FORWARDED_FOR", "10.0.0.1", "HTTPS", "on", "SERVER_PORT", "443"), "abc".getBytes(UTF_8));
            assertEquals("POST|/a?b=c|b=c|3|curl/8|text/plain|true|443|"
                    + "{Content-Length=3, Content-Type=text/plain, User-Agent=curl/8, X-Forwarded-For=10.0.0.1}",
                    conn.readResponse(1).body());
        }
    }

    @Test
    @DisplayName("response headers: Status, Set-Cookie twice, header injection refused")
    void responseHeaders() throws Exception {
        FcgiHandler handler = (request, response) -> {
            response.header("Status", "404 Nope").addHeader("Set-Cookie", "a=1").addHeader("Set-Cookie", "b=2")
                    .header("X-Test", "1").header("x-test", "2");
            assertThrows(IllegalArgumentException.class, () -> response.header("X-Evil", "a\r\nInjected: yes"));
        };
        try (ServerFixture fixture = new ServerFixture(handler); RawFcgiConnection conn = fixture.connect()) {
            conn.request(1, true, params(), new byte[0]);
            assertEquals("Status: 404 Nope\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nx-test: 2\r\n\r\n",
                    conn.readResponse(1).text());
        }
    }

    static byte[] bytes(int n) {
        byte[] bytes = new byte[n];
        for (int i = 0; i < n; i++) {
            bytes[i] = (byte) (i % 251);
        }
        return bytes;
    }

    static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }
}
