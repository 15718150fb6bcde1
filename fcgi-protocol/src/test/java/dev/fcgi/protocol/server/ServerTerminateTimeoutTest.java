package dev.fcgi.protocol.server;

import dev.fcgi.protocol.testing.RawFcgiConnection;
import dev.fcgi.protocol.testing.RawFcgiConnection.Record;
import dev.fcgi.protocol.testing.RawFcgiConnection.Response;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static dev.fcgi.protocol.testing.RawFcgiConnection.*;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.*;

/** {@link FcgiServer.Builder#requestTerminateTimeout(Duration)}: spec 57's limit on a handler's run time. */
class ServerTerminateTimeoutTest {

    private static final Duration LIMIT = Duration.ofMillis(300);

    @Test
    @DisplayName("spec 57: a handler that runs past the request terminate timeout before answering: 504, then"
            + " END_REQUEST with a nonzero appStatus; the handler is interrupted; the connection goes on")
    void uncommittedAnswerIs504() throws Exception {
        AtomicReference<Throwable> handlerSaw = new AtomicReference<>();
        CountDownLatch handlerDone = new CountDownLatch(1);
        FcgiHandler handler = (request, response) -> {
            if (request.param("STUCK") == null) {
                response.body().write("quick".getBytes(UTF_8));
                return;
            }
            try {
                new CountDownLatch(1).await();
            } catch (InterruptedException e) {
                handlerSaw.set(e);
                throw e;
            } finally {
                handlerDone.countDown();
            }
        };
        try (ServerFixture fixture = new ServerFixture(handler, b -> b.requestTerminateTimeout(LIMIT));
             RawFcgiConnection conn = fixture.connect()) {
            conn.request(1, true, Map.of("STUCK", "1"), new byte[0]);
            Response response = conn.readResponse(1);
            assertEquals(504, response.status(), response.text());
            assertTrue(response.text().contains("request terminate timeout"), response.text());
            assertNotEquals(0, response.end().appStatus());
            assertEquals(0, response.end().protocolStatus());
            assertTrue(handlerDone.await(20, TimeUnit.SECONDS));
            assertInstanceOf(InterruptedException.class, handlerSaw.get());
            conn.request(2, true, Map.of(), new byte[0]);
            assertEquals("quick", conn.readResponse(2).body(), "the connection serves the next request");
        }
    }

    @Test
    @DisplayName("spec 57: a handler that runs past the timeout after its answer began: the answer is cut short"
            + " (no END_REQUEST, so the web server does not take it as complete) and the connection closes")
    void committedAnswerIsCutShort() throws Exception {
        FcgiHandler handler = (request, response) -> {
            response.body().write("begun".getBytes(UTF_8));
            response.body().flush();
            new CountDownLatch(1).await();
        };
        try (ServerFixture fixture = new ServerFixture(handler, b -> b.requestTerminateTimeout(LIMIT));
             RawFcgiConnection conn = fixture.connect()) {
            conn.request(1, true, Map.of(), new byte[0]);
            List<Record> records = new ArrayList<>();
            for (Record record = conn.readRecord(); record != null; record = conn.readRecord()) {
                records.add(record);                            // up to the server's close
            }
            assertFalse(records.isEmpty());
            assertEquals(STDOUT, records.get(0).type());
            assertTrue(records.get(0).text().endsWith("begun"), records.get(0).text());
            assertTrue(records.stream().noneMatch(r -> r.type() == END_REQUEST), "no END_REQUEST: " + records);
        }
    }

    @Test
    @DisplayName("spec 57: no timeout by default, and a handler that ends in time is not touched")
    void inTime() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        FcgiHandler handler = (request, response) -> {
            assertTrue(release.await(20, TimeUnit.SECONDS));
            response.body().write("done".getBytes(UTF_8));
        };
        try (ServerFixture fixture = new ServerFixture(handler, b -> b.requestTerminateTimeout(Duration.ofMinutes(5)));
             RawFcgiConnection conn = fixture.connect()) {
            conn.request(1, true, Map.of(), new byte[0]);
            release.countDown();
            Response response = conn.readResponse(1);
            assertEquals("done", response.body());
            assertEquals(0, response.end().appStatus());
        }
        assertThrows(IllegalArgumentException.class, () -> FcgiServer.builder().requestTerminateTimeout(
                Duration.ofSeconds(-1)));
    }
}
