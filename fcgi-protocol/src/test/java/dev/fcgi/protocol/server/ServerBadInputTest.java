package dev.fcgi.protocol.server;

import dev.fcgi.protocol.testing.RawFcgiConnection;
import dev.fcgi.protocol.testing.RawFcgiConnection.Record;
import dev.fcgi.protocol.testing.RawFcgiConnection.Response;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static dev.fcgi.protocol.testing.RawFcgiConnection.*;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The README's bad-input rows at the server, end to end: the connection's own requests are aborted, the
 * connection is closed, and a request on another connection, begun before, is served all the same.
 */
class ServerBadInputTest {

    /** Request 1 on a connection waits until aborted; "other" requests answer at once. */
    private static final class Handler implements FcgiHandler {
        final CountDownLatch waiting = new CountDownLatch(1);
        final CountDownLatch aborted = new CountDownLatch(1);
        final CountDownLatch otherMayFinish = new CountDownLatch(1);

        @Override
        public void handle(FcgiRequest request, FcgiResponse response) throws Exception {
            if (request.param("OTHER") != null) {
                assertTrue(otherMayFinish.await(20, TimeUnit.SECONDS));
                response.body().write("other served".getBytes(UTF_8));
                return;
            }
            request.onAbort(aborted::countDown);
            waiting.countDown();
            assertTrue(aborted.await(20, TimeUnit.SECONDS));
            response.body().write("after the abort".getBytes(UTF_8));
        }
    }

    /** What a misbehaving web server does on a connection whose request 1 is waiting in its handler. */
    private interface BadInput {
        void feed(RawFcgiConnection bad) throws Exception;
    }

    /**
     * Feeds {@code badInput} while a request on the same connection and one on another connection are in their
     * handlers: the first must be aborted, the other answered as usual.
     */
    private static void assertAbortsItsConnectionOnly(BadInput badInput) throws Exception {
        Handler handler = new Handler();
        try (ServerFixture fixture = new ServerFixture(handler);
             RawFcgiConnection bad = fixture.connect();
             RawFcgiConnection other = fixture.connect()) {
            other.request(1, true, Map.of("OTHER", "1"), new byte[0]);
            bad.begin(1, 1, true).params(1, Map.of()).stream(STDIN, 1, "part".getBytes(UTF_8));
            assertTrue(handler.waiting.await(20, TimeUnit.SECONDS));
            badInput.feed(bad);
            assertTrue(handler.aborted.await(20, TimeUnit.SECONDS), "the connection's request was aborted");
            handler.otherMayFinish.countDown();
            Response served = other.readResponse(1);
            assertEquals("other served", served.body(), "the other connection is untouched");
            assertEquals(0, served.end().protocolStatus());
        }
    }

    /** Writes {@code bytes}, then closes the connection. */
    private static BadInput thenClose(byte[] bytes) {
        return bad -> {
            bad.write(bytes);
            bad.close();
        };
    }

    @Test
    @DisplayName("a record header cut short (3 of 8 bytes), then close: the connection's request is aborted;"
            + " another connection is served")
    void headerCutShortThenClose() throws Exception {
        assertAbortsItsConnectionOnly(thenClose(new byte[] {1, STDIN, 0}));
    }

    @Test
    @DisplayName("a content length beyond what arrives, then close: the request is aborted; another connection is"
            + " served")
    void contentCutShortThenClose() throws Exception {
        byte[] declares100 = record(STDIN, 1, new byte[100]);
        assertAbortsItsConnectionOnly(thenClose(Arrays.copyOf(declares100, 8 + 10)));
    }

    @Test
    @DisplayName("a name-value length beyond its GET_VALUES record: the connection is closed, its request aborted;"
            + " another connection is served")
    void nameValueLengthBeyondTheRecord() throws Exception {
        byte[] pairPastRecord = {0x0F, 0x01, 'F', 'C', 'G', 'I'};     // declares a 15-byte name in 6 bytes
        assertAbortsItsConnectionOnly(bad -> {
            bad.send(GET_VALUES, 0, pairPastRecord);
            assertTrue(bad.awaitClosed(), "the server closed the connection");
        });
    }

    @Test
    @DisplayName("BEGIN_REQUEST for an id in use: the connection is closed; another connection is served")
    void beginForAnIdInUse() throws Exception {
        assertAbortsItsConnectionOnly(bad -> {
            bad.begin(1, 1, true);
            assertTrue(bad.awaitClosed(), "the server closed the connection");
        });
    }

    @Test
    @DisplayName("spec 31, 30: STDIN after its end while PARAMS are still coming: END_REQUEST alone (appStatus 1, no"
            + " STDOUT before PARAMS end), the bodies freed; the connection goes on")
    void stdinAfterItsEndBeforeParamsEnd() throws Exception {
        try (ServerFixture fixture = new ServerFixture((request, response) -> response.body().write(
                request.body().readAllBytes())); RawFcgiConnection conn = fixture.connect()) {
            conn.begin(1, 1, true).stdin(1, "abc".getBytes(UTF_8)).stream(STDIN, 1, "late".getBytes(UTF_8));
            Response response = conn.readResponse(1);
            assertEquals(0, response.stdout().length, response.text());
            assertEquals(1, response.end().appStatus());
            conn.request(2, true, Map.of(), "next".getBytes(UTF_8));
            assertEquals("next", conn.readResponse(2).body());
        }
    }

    @Test
    @DisplayName("spec 31: on the event loop, STDIN after its end while a FILTER's DATA is still coming: 400, the"
            + " bodies freed; the connection goes on")
    void stdinAfterItsEndBeforeAnEventLoopHandlerRuns() throws Exception {
        FcgiHandler handler = (request, response) -> response.body().write(request.body().readAllBytes());
        try (ServerFixture fixture = new ServerFixture(handler, b -> b.handlerOnEventLoop(true));
             RawFcgiConnection conn = fixture.connect()) {
            conn.begin(1, 3, true).params(1, Map.of()).stdin(1, "abc".getBytes(UTF_8))
                    .stream(DATA, 1, "data".getBytes(UTF_8)).stream(STDIN, 1, "late".getBytes(UTF_8));
            Response response = conn.readResponse(1);
            assertEquals(400, response.status(), response.text());
            conn.request(2, true, Map.of(), "next".getBytes(UTF_8));
            assertEquals("next", conn.readResponse(2).body());
        }
    }

    @Test
    @DisplayName("spec 49: a handler that ignores an abort and returns normally: its answer is dropped, only"
            + " END_REQUEST goes out")
    void answerAfterAnAbortIsDropped() throws Exception {
        Handler handler = new Handler();
        try (ServerFixture fixture = new ServerFixture(handler); RawFcgiConnection conn = fixture.connect()) {
            conn.begin(1, 1, true).params(1, Map.of()).stream(STDIN, 1, "part".getBytes(UTF_8));
            assertTrue(handler.waiting.await(20, TimeUnit.SECONDS));
            conn.send(ABORT_REQUEST, 1, new byte[0]);
            Response response = conn.readResponse(1);
            assertEquals(0, response.stdout().length, "no answer after the abort: " + response.text());
            assertEquals(0, response.end().protocolStatus());
            ByteArrayOutputStream query = new ByteArrayOutputStream();
            pair(query, "FCGI_MPXS_CONNS".getBytes(UTF_8), new byte[0]);
            conn.send(GET_VALUES, 0, query.toByteArray());
            Record next = conn.readRecord();
            assertEquals(GET_VALUES_RESULT, next.type(), "nothing more for request 1 after its END_REQUEST");
        }
    }
}
