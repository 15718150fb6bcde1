package dev.fcgi.protocol.server;

import dev.fcgi.protocol.FcgiRole;
import dev.fcgi.protocol.testing.Await;
import dev.fcgi.protocol.testing.RawFcgiConnection;
import dev.fcgi.protocol.testing.RawFcgiConnection.Record;
import dev.fcgi.protocol.testing.RawFcgiConnection.Response;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static dev.fcgi.protocol.testing.RawFcgiConnection.*;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Abort, multiplexing, roles and streaming, statement by statement (numbers from shared/reference/fastcgi-spec.md).
 * The limits and timeouts, each just under and just over, are in {@link ServerLimitsTest} and
 * {@link ServerSlowlorisTest}.
 */
class ServerRequestLifecycleTest {

    private static Map<String, String> params(String... pairs) {
        Map<String, String> map = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            map.put(pairs[i], pairs[i + 1]);
        }
        return map;
    }

    /** A handler that signals it runs, then waits to be aborted (or released). */
    private static final class Blocking implements FcgiHandler {
        final CountDownLatch started = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicBoolean sawAbort = new AtomicBoolean();
        final AtomicReference<Throwable> bodyError = new AtomicReference<>();

        @Override
        public void handle(FcgiRequest request, FcgiResponse response) throws Exception {
            CountDownLatch aborted = new CountDownLatch(1);
            response.appStatus(42);
            request.onAbort(() -> {
                sawAbort.set(request.isAborted());
                aborted.countDown();
            });
            started.countDown();
            if (request.param("READ_BODY") != null) {
                try {
                    request.body().readAllBytes();
                } catch (IOException e) {
                    bodyError.set(e);
                }
            }
            while (!aborted.await(10, TimeUnit.MILLISECONDS)) {
                if (release.getCount() == 0) {
                    response.appStatus(0);
                    response.body().write("released".getBytes(UTF_8));
                    return;
                }
            }
        }
    }

    @Test
    @DisplayName("spec 49, 35: ABORT_REQUEST reaches the running handler; its END_REQUEST is the only one")
    void abortRunningHandler() throws Exception {
        Blocking handler = new Blocking();
        try (ServerFixture fixture = new ServerFixture(handler); RawFcgiConnection conn = fixture.connect()) {
            conn.begin(1, 1, true).params(1, params("READ_BODY", "1")).stream(STDIN, 1, "x".getBytes(UTF_8));
            assertTrue(handler.started.await(10, TimeUnit.SECONDS));
            conn.send(ABORT_REQUEST, 1, new byte[0]);
            Response response = conn.readResponse(1);
            assertEquals(42, response.end().appStatus(), "the handler's own completion, not a library ack");
            assertEquals(0, response.end().protocolStatus());
            assertTrue(handler.sawAbort.get());
            assertNotNull(handler.bodyError.get(), "STDIN reads fail after an abort");
            assertTrue(handler.bodyError.get().getMessage().contains("aborted"), handler.bodyError.get().getMessage());
            // Spec 52: the kept connection serves a new request; no second END_REQUEST for id 1 arrives first.
            handler.release.countDown();
            conn.request(2, true, params(), new byte[0]);
            Record next = conn.readRecord();
            assertEquals(2, next.requestId());
        }
    }

    @Test
    @DisplayName("spec 50: an ABORT after STDIN ended, while the handler runs, is still delivered")
    void abortAfterStdin() throws Exception {
        Blocking handler = new Blocking();
        try (ServerFixture fixture = new ServerFixture(handler); RawFcgiConnection conn = fixture.connect()) {
            conn.request(1, false, params(), "body".getBytes(UTF_8));
            assertTrue(handler.started.await(10, TimeUnit.SECONDS));
            conn.send(ABORT_REQUEST, 1, new byte[0]);
            assertEquals(42, conn.readResponse(1).end().appStatus());
            assertTrue(conn.awaitClosed(), "spec 52: without KEEP_CONN the connection closes after END_REQUEST");
        }
    }

    @Test
    @DisplayName("spec 49: an ABORT before PARAMS ended ends the request at once, without a handler")
    void abortBeforeHandler() throws Exception {
        Blocking handler = new Blocking();
        try (ServerFixture fixture = new ServerFixture(handler); RawFcgiConnection conn = fixture.connect()) {
            conn.begin(1, 1, true).stream(PARAMS, 1, pairs(params("A", "b")));
            conn.send(ABORT_REQUEST, 1, new byte[0]);
            Response response = conn.readResponse(1);
            assertEquals(1, response.records().size(), "only END_REQUEST: no STDOUT before PARAMS ended");
            assertEquals(1, handler.started.getCount(), "the handler never ran");
        }
    }

    @Test
    @DisplayName("spec 51: ABORT for an inactive id gets no answer")
    void abortInactive() throws Exception {
        FcgiHandler hello = (request, response) -> response.body().write("hi".getBytes(UTF_8));
        try (ServerFixture fixture = new ServerFixture(hello); RawFcgiConnection conn = fixture.connect()) {
            conn.send(ABORT_REQUEST, 7, new byte[0]);
            conn.request(1, true, params(), new byte[0]);
            Record first = conn.readRecord();
            assertEquals(1, first.requestId(), "nothing was sent for request 7");
        }
    }

    @Test
    @DisplayName("spec 42: when the web server closes the connection the running handler is told")
    void connectionClosedAbortsHandler() throws Exception {
        Blocking handler = new Blocking();
        try (ServerFixture fixture = new ServerFixture(handler)) {
            RawFcgiConnection conn = fixture.connect();
            conn.request(1, true, params(), new byte[0]);
            assertTrue(handler.started.await(10, TimeUnit.SECONDS));
            conn.close();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (fixture.server.activeRequestCount() > 0 && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertEquals(0, fixture.server.activeRequestCount());
            assertTrue(handler.sawAbort.get());
        }
    }

    @Test
    @DisplayName("spec 42: a handler blocked in request.body().read() gets RequestAbortedException when the web server"
            + " closes the connection")
    void blockedBodyReadFailsWhenTheConnectionCloses() throws Exception {
        AtomicReference<Thread> handlerThread = new AtomicReference<>();
        AtomicReference<Throwable> readError = new AtomicReference<>();
        AtomicBoolean abortedAfterRead = new AtomicBoolean();
        CountDownLatch done = new CountDownLatch(1);
        FcgiHandler handler = (request, response) -> {
            handlerThread.set(Thread.currentThread());
            try {
                int b = request.body().read();
                readError.set(new AssertionError("read returned " + b + " instead of failing"));
            } catch (IOException e) {
                readError.set(e);
                abortedAfterRead.set(request.isAborted());
            } finally {
                done.countDown();
            }
        };
        try (ServerFixture fixture = new ServerFixture(handler)) {
            RawFcgiConnection conn = fixture.connect();
            conn.begin(1, 1, true).params(1, params());                 // no STDIN: the read waits
            Await.until(Duration.ofSeconds(20), () -> blockedInBodyRead(handlerThread.get()),
                    "the handler waits in request.body().read()");
            conn.close();
            assertTrue(done.await(20, TimeUnit.SECONDS), "the blocked read returned");
            assertInstanceOf(RequestAbortedException.class, readError.get());
            assertTrue(readError.get().getMessage().contains("connection closed"), readError.get().getMessage());
            assertTrue(abortedAfterRead.get(), "request.isAborted() once the read failed");
            Await.until(Duration.ofSeconds(20), () -> fixture.server.activeRequestCount() == 0,
                    "the request is no longer counted");
        }
    }

    /** Whether {@code thread} is parked inside {@link RequestBody#read(byte[], int, int)}. */
    private static boolean blockedInBodyRead(Thread thread) {
        if (thread == null) {
            return false;
        }
        boolean parked = false;
        for (StackTraceElement frame : thread.getStackTrace()) {
            if (frame.getMethodName().equals("awaitNanos")) {
                parked = true;
            }
            if (parked && frame.getClassName().equals(RequestBody.class.getName()) && frame.getMethodName().equals("read")) {
                return true;
            }
        }
        return false;
    }

    @Test
    @DisplayName("spec 42: a handler whose write fails because the connection closed sees the request aborted")
    void writeToAClosedConnectionSeesTheAbort() throws Exception {
        List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        FcgiHandler handler = (request, response) -> {
            byte[] chunk = new byte[16 * 1024];
            try {
                for (int i = 0; i < 100_000; i++) {
                    response.body().write(chunk);
                }
            } catch (IOException e) {
                seen.add(request.isAborted() + " after " + e.getMessage());
            }
        };
        try (ServerFixture fixture = new ServerFixture(handler)) {
            for (int attempt = 1; attempt <= 10; attempt++) {
                RawFcgiConnection conn = fixture.connect();
                conn.request(1, true, params(), new byte[0]);
                for (int records = 0; records < 64; records++) {
                    conn.readRecord();      // the handler writes on while the web server reads, then it goes
                }
                conn.close();
                int expected = attempt;
                Await.until(Duration.ofSeconds(10), () -> seen.size() == expected, "the write failed");
            }
            assertEquals(List.of(), seen.stream().filter(s -> !s.startsWith("true after ")).toList());
        }
    }

    @Test
    @DisplayName("spec 45: requests on one connection run concurrently and finish out of order")
    void multiplexedOutOfOrder() throws Exception {
        CountDownLatch firstMayFinish = new CountDownLatch(1);
        FcgiHandler handler = (request, response) -> {
            if (request.requestId() == 1) {
                firstMayFinish.await();
            }
            response.body().write(("r" + request.requestId()).getBytes(UTF_8));
        };
        try (ServerFixture fixture = new ServerFixture(handler); RawFcgiConnection conn = fixture.connect()) {
            conn.request(1, true, params(), new byte[0]);
            conn.request(2, true, params(), new byte[0]);
            List<Record> others = new ArrayList<>();
            assertEquals("r2", conn.readResponse(2, others).body(), "request 2 finishes first");
            assertTrue(others.isEmpty());
            firstMayFinish.countDown();
            assertEquals("r1", conn.readResponse(1).body());
        }
    }

    @Test
    @DisplayName("an executor that rejects a request makes it end with FCGI_OVERLOADED")
    void executorRejects() throws Exception {
        FcgiHandler hello = (request, response) -> response.body().write("hi".getBytes(UTF_8));
        try (ServerFixture fixture = new ServerFixture(hello, b -> b.executor(task -> {
            throw new java.util.concurrent.RejectedExecutionException("queue full (test)");
        })); RawFcgiConnection conn = fixture.connect()) {
            conn.request(1, true, params(), new byte[0]);
            Response response = conn.readResponse(1);
            assertEquals(2, response.end().protocolStatus());
            assertEquals(0, fixture.server.activeRequestCount(), "the request is no longer counted once it ended");
        }
    }

    /** A GET_VALUES query for FCGI_MPXS_CONNS: its answer shows what the server sent before it. */
    private static byte[] mpxsQuery() {
        java.io.ByteArrayOutputStream query = new java.io.ByteArrayOutputStream();
        pair(query, "FCGI_MPXS_CONNS".getBytes(UTF_8), new byte[0]);
        return query.toByteArray();
    }

    /** Sends GET_VALUES and asserts that the very next record is its GET_VALUES_RESULT. */
    private static void nextRecordAnswersGetValues(RawFcgiConnection conn, String after) throws IOException {
        conn.send(GET_VALUES, 0, mpxsQuery());
        Record next = conn.readRecord();
        assertNotNull(next, "connection closed");
        assertEquals(GET_VALUES_RESULT, next.type(), "after " + after + ": record type " + next.type() + " for request "
                + next.requestId() + " came before the answer to GET_VALUES");
        assertEquals(0, next.requestId());
    }

    @Test
    @DisplayName("spec 35, 47: a request the dispatcher rejects gets exactly one END_REQUEST (FCGI_OVERLOADED) and"
            + " nothing more: the next record is the answer to GET_VALUES, then another request is served")
    void rejectedRequestGetsOneEndRequest() throws Exception {
        FcgiHandler echo = (request, response) -> response.body().write(request.body().readAllBytes());
        FcgiDispatcher dispatcher = (request, job) -> {
            if (request.param("REJECT") != null) {
                throw new java.util.concurrent.RejectedExecutionException("queue full (test)");
            }
            Thread.ofVirtual().start(job);
        };
        try (ServerFixture fixture = new ServerFixture(echo, b -> b.dispatcher(dispatcher));
             RawFcgiConnection conn = fixture.connect()) {
            conn.request(1, true, params("REJECT", "1"), "body".getBytes(UTF_8));
            Response refused = conn.readResponse(1);
            assertEquals(1, refused.records().size(), "END_REQUEST alone, no STDOUT");
            assertArrayEquals(new byte[] {0, 0, 0, 0, 2, 0, 0, 0}, refused.end().content(), "{0, FCGI_OVERLOADED}");
            nextRecordAnswersGetValues(conn, "the rejected request's END_REQUEST");
            conn.request(2, true, params(), "ok".getBytes(UTF_8));
            assertEquals("ok", conn.readResponse(2).body(), "no record for request 1 before request 2's answer");
            assertEquals(0, fixture.server.activeRequestCount());
        }
    }

    @Test
    @DisplayName("spec 35, 37: a handler that throws, before or after committing, gets exactly one END_REQUEST and"
            + " nothing more: the next record is the answer to GET_VALUES")
    void failedHandlerGetsOneEndRequest() throws Exception {
        FcgiHandler handler = (request, response) -> {
            request.body().readAllBytes();
            if (request.param("COMMIT") != null) {
                response.body().write("partial".getBytes(UTF_8));
                response.body().flush();
            }
            throw new IllegalStateException("boom (expected by the test)");
        };
        try (ServerFixture fixture = new ServerFixture(handler); RawFcgiConnection conn = fixture.connect()) {
            conn.request(1, true, params(), new byte[0]);
            Response failed = conn.readResponse(1);
            assertEquals(500, failed.status());
            assertNotEquals(0, failed.end().appStatus());
            assertEquals(0, failed.end().protocolStatus());
            nextRecordAnswersGetValues(conn, "the failed request's END_REQUEST");

            conn.request(2, true, params("COMMIT", "1"), new byte[0]);
            Response truncated = conn.readResponse(2);
            assertEquals("partial", truncated.body());
            assertNotEquals(0, truncated.end().appStatus());
            nextRecordAnswersGetValues(conn, "the END_REQUEST of the request that failed after committing");

            conn.request(3, true, params(), new byte[0]);
            assertEquals(500, conn.readResponse(3).status(), "no record for request 1 or 2 before request 3's answer");
        }
    }

    @Test
    @DisplayName("spec 17: a pair cut off by the end of the PARAMS stream fails that request with 400")
    void paramsTruncated() throws Exception {
        FcgiHandler hello = (request, response) -> response.body().write("hi".getBytes(UTF_8));
        try (ServerFixture fixture = new ServerFixture(hello); RawFcgiConnection conn = fixture.connect()) {
            conn.begin(1, 1, true).send(PARAMS, 1, new byte[] {5, 3, 'A', 'B'}).params(1, params())
                    .stdin(1, new byte[0]);
            assertEquals(400, conn.readResponse(1).status());
            conn.request(2, true, params(), new byte[0]);
            assertEquals("hi", conn.readResponse(2).body());
        }
    }

    @Test
    @DisplayName("spec 57: a handler on the event loop: a body that stops coming is answered 408 after the body read"
            + " timeout (found by ServerPipelineFuzzTest)")
    void bodyReadTimeoutOnEventLoop() throws Exception {
        FcgiHandler hello = (request, response) -> response.body().write("hi".getBytes(UTF_8));
        try (ServerFixture fixture = new ServerFixture(hello, b -> b.handlerOnEventLoop(true)
                .bodyReadTimeout(Duration.ofMillis(200)));
             RawFcgiConnection conn = fixture.connect()) {
            conn.begin(1, 1, true).params(1, params()).stream(STDIN, 1, "some".getBytes(UTF_8));
            assertEquals(408, conn.readResponse(1).status());
            conn.begin(2, 1, true).params(2, params()).send(STDIN, 2, new byte[0]);
            assertEquals(200, conn.readResponse(2).status(), "the connection serves the next request");
        }
    }

    @Test
    @DisplayName("spec 30, 32: the handler starts when PARAMS end and, full duplex, can answer before STDIN arrives")
    void streamsBeforeStdin() throws Exception {
        FcgiHandler handler = (request, response) -> {
            response.body().write("early ".getBytes(UTF_8));
            response.body().flush();
            response.body().write(request.body().readAllBytes());
        };
        try (ServerFixture fixture = new ServerFixture(handler, b -> b.fullDuplex(true));
             RawFcgiConnection conn = fixture.connect()) {
            conn.begin(1, 1, true).params(1, params());
            Record early = conn.readRecord();
            assertEquals(STDOUT, early.type());
            assertTrue(early.text().endsWith("early "), early.text());
            conn.stdin(1, "late".getBytes(UTF_8));
            assertEquals("late", conn.readResponse(1).body());
        }
    }

    private static final java.util.regex.Pattern ECHO = java.util.regex.Pattern.compile("<(\\d+):([^>]*)>");

    /** The reads echoed as {@code <n:content>} in {@code text}: each n checked against its content, contents joined. */
    private static String echoedReads(String text) {
        StringBuilder joined = new StringBuilder();
        java.util.regex.Matcher m = ECHO.matcher(text);
        while (m.find()) {
            assertEquals(Integer.parseInt(m.group(1)), m.group(2).length(), "the size of read " + m.group());
            joined.append(m.group(2));
        }
        return joined.toString();
    }

    @Test
    @DisplayName("spec 32: the handler reads STDIN incrementally and, full duplex, answers each read before the next"
            + " STDIN record is sent")
    void readsStdinIncrementally() throws Exception {
        FcgiHandler handler = (request, response) -> {
            byte[] buffer = new byte[8192];
            for (int n; (n = request.body().read(buffer)) >= 0; ) {
                response.body().write(("<" + n + ":" + new String(buffer, 0, n, UTF_8) + ">").getBytes(UTF_8));
                response.body().flush();
            }
            response.body().write("<end>".getBytes(UTF_8));
        };
        try (ServerFixture fixture = new ServerFixture(handler, b -> b.fullDuplex(true));
             RawFcgiConnection conn = fixture.connect()) {
            conn.begin(1, 1, true).params(1, params()).stream(STDIN, 1, "alpha".getBytes(UTF_8));
            StringBuilder first = new StringBuilder();
            while (echoedReads(first.toString()).length() < 5) {
                Record record = conn.readRecord();
                assertNotNull(record, "connection closed");
                assertEquals(STDOUT, record.type(), "only STDOUT while STDIN goes on");
                assertEquals(1, record.requestId());
                assertTrue(record.content().length > 0, "the STDOUT stream does not end before STDIN");
                first.append(record.text());
            }
            assertTrue(first.toString().startsWith("Status: 200 OK\r\n\r\n<"), first::toString);
            assertEquals("alpha", echoedReads(first.toString()), "record A was read and answered before B was sent");
            conn.stdin(1, "beta!".getBytes(UTF_8));
            Response rest = conn.readResponse(1);
            assertEquals("beta!", echoedReads(rest.text()));
            assertTrue(rest.text().endsWith("<end>"), rest::text);
            assertEquals(0, rest.end().protocolStatus());
        }
    }

    @Test
    @DisplayName("spec 32: CONTENT_LENGTH=10 with a 7-byte body: the handler sees contentLength() 10 and reads 7,"
            + " so it can detect the short body")
    void shortBodyIsDetectable() throws Exception {
        FcgiHandler handler = (request, response) -> {
            byte[] body = request.body().readAllBytes();
            long expected = request.contentLength();
            response.body().write(("contentLength " + expected + ", read " + body.length
                    + (body.length < expected ? ", short by " + (expected - body.length) : ", complete"))
                    .getBytes(UTF_8));
        };
        try (ServerFixture fixture = new ServerFixture(handler); RawFcgiConnection conn = fixture.connect()) {
            conn.request(1, true, params("CONTENT_LENGTH", "10"), "1234567".getBytes(UTF_8));
            assertEquals("contentLength 10, read 7, short by 3", conn.readResponse(1).body());
            conn.request(2, true, params("CONTENT_LENGTH", "10"), "1234567890".getBytes(UTF_8));
            assertEquals("contentLength 10, read 10, complete", conn.readResponse(2).body());
        }
    }

    @Test
    @DisplayName("not full duplex (the default): the head waits until STDIN has ended, so nginx, which stops sending"
            + " the body once it has the header, gets all of it; the handler reads and writes as it likes")
    void headWaitsForTheEndOfStdin() throws Exception {
        AtomicReference<Thread> handlerThread = new AtomicReference<>();
        FcgiHandler handler = (request, response) -> {
            handlerThread.set(Thread.currentThread());
            byte[] first = new byte[5];
            assertEquals(5, request.body().readNBytes(first, 0, 5));
            response.body().write("early ".getBytes(UTF_8));
            response.body().write(first);
            response.body().flush();                        // waits here until the empty STDIN has arrived
            response.body().write(request.body().readAllBytes());
        };
        try (ServerFixture fixture = new ServerFixture(handler); RawFcgiConnection conn = fixture.connect()) {
            conn.begin(1, 1, true).params(1, params()).stream(STDIN, 1, "part1".getBytes(UTF_8));
            Await.until(Duration.ofSeconds(20), () -> waitsForTheBody(handlerThread.get()),
                    "the handler's flush waits for the end of the request body");
            assertFalse(conn.isClosedByPeer());
            assertFalse(conn.hasUnreadBytes(), "nothing of the response is sent while the body is still coming");
            conn.stdin(1, "part2".getBytes(UTF_8));
            Response response = conn.readResponse(1);
            assertEquals("early part1part2", response.body());
            assertEquals(0, response.end().protocolStatus());
        }
    }

    private static boolean waitsForTheBody(Thread thread) {
        if (thread == null) {
            return false;
        }
        for (StackTraceElement frame : thread.getStackTrace()) {
            if (frame.getMethodName().equals("awaitArrival")) {
                return true;
            }
        }
        return false;
    }

    @Test
    @DisplayName("not full duplex: a body that stops coming while the head waits for it is answered 408 after the"
            + " body read timeout")
    void headWaitingForAStalledBodyGets408() throws Exception {
        FcgiHandler handler = (request, response) -> {
            response.body().write("never sent".getBytes(UTF_8));
            response.body().flush();
        };
        try (ServerFixture fixture = new ServerFixture(handler, b -> b.bodyReadTimeout(Duration.ofMillis(300)));
             RawFcgiConnection conn = fixture.connect()) {
            conn.begin(1, 1, true).params(1, params()).stream(STDIN, 1, "only a part".getBytes(UTF_8));
            Response response = conn.readResponse(1);
            assertEquals(408, response.status(), response.text());
            assertFalse(response.text().contains("never sent"), response.text());
            conn.request(2, true, params(), "next".getBytes(UTF_8));
            assertEquals(200, conn.readResponse(2).status(), "the connection serves the next request");
        }
    }

    @Test
    @DisplayName("a handler that reads its body after finish(), before the body has arrived: the read fails at once"
            + " (the rest of the body no longer reaches the request), not after the body read timeout")
    void bodyReadAfterFinishFailsAtOnce() throws Exception {
        AtomicReference<Throwable> readFailure = new AtomicReference<>();
        CountDownLatch readDone = new CountDownLatch(1);
        FcgiHandler handler = (request, response) -> {
            response.body().write("answered".getBytes(UTF_8));
            response.finish();
            try {
                request.body().readAllBytes();
            } catch (IOException e) {
                readFailure.set(e);
            } finally {
                readDone.countDown();
            }
        };
        try (ServerFixture fixture = new ServerFixture(handler, b -> b.fullDuplex(true));
             RawFcgiConnection conn = fixture.connect()) {
            conn.begin(1, 1, true).params(1, params()).stream(STDIN, 1, "half".getBytes(UTF_8));
            assertEquals("answered", conn.readResponse(1).body());
            assertTrue(readDone.await(20, TimeUnit.SECONDS), "the read ended (the body read timeout is 60 s)");
            assertTrue(readFailure.get().getMessage().contains("has ended before its input did"),
                    String.valueOf(readFailure.get()));
        }
    }

    @Test
    @DisplayName("not full duplex: closing the body stream does not wait for the request body; the answer goes out"
            + " when the handler returns")
    void closingTheBodyDoesNotWait() throws Exception {
        FcgiHandler handler = (request, response) -> {
            response.status(403);
            try (java.io.OutputStream out = response.body()) {
                out.write("denied".getBytes(UTF_8));
            }
        };
        try (ServerFixture fixture = new ServerFixture(handler); RawFcgiConnection conn = fixture.connect()) {
            conn.begin(1, 1, true).params(1, params()).stream(STDIN, 1, "an upload still coming".getBytes(UTF_8));
            Response response = conn.readResponse(1);
            assertEquals(403, response.status());
            assertEquals("denied", response.body());
        }
    }

    @Test
    @DisplayName("not full duplex: a handler that swallows the body read timeout of a waiting write and returns"
            + " still gets 408, not the held part of its answer as if complete")
    void swallowedTimeoutOfAWaitingWriteIs408() throws Exception {
        AtomicReference<String> swallowed = new AtomicReference<>();
        FcgiHandler handler = (request, response) -> {
            try {
                response.body().write(new byte[40 * 1024]);           // more than one chunk: the write waits
            } catch (IOException e) {
                swallowed.set(e.getMessage());
            }
        };
        try (ServerFixture fixture = new ServerFixture(handler, b -> b.bodyReadTimeout(Duration.ofMillis(300)));
             RawFcgiConnection conn = fixture.connect()) {
            conn.begin(1, 1, true).params(1, params()).stream(STDIN, 1, "stalls".getBytes(UTF_8));
            Response response = conn.readResponse(1);
            assertEquals(408, response.status(), response.text());
            assertNotEquals(0, response.end().appStatus());
            assertTrue(swallowed.get().contains("body read timeout"), swallowed.get());
        }
    }

    @Test
    @DisplayName("not full duplex: a response that ends before the body has arrived is sent at once (nginx then"
            + " stops sending the body, and the server drops the rest)")
    void completeResponseIsNotHeld() throws Exception {
        FcgiHandler handler = (request, response) -> response.status(413).body().write("too big".getBytes(UTF_8));
        try (ServerFixture fixture = new ServerFixture(handler); RawFcgiConnection conn = fixture.connect()) {
            conn.begin(1, 1, true).params(1, params()).stream(STDIN, 1, "a body that never ends".getBytes(UTF_8));
            Response response = conn.readResponse(1);
            assertEquals(413, response.status());
            assertEquals("too big", response.body());
        }
    }

    @Test
    @DisplayName("spec 48, 75: a large body the handler does not read is spooled; another request on the connection runs")
    void largeBodySpooledWithoutStallingOthers(@TempDir Path spool) throws Exception {
        CountDownLatch readNow = new CountDownLatch(1);
        FcgiHandler handler = (request, response) -> {
            if (request.requestId() == 1) {
                readNow.await();
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                byte[] buffer = new byte[8192];
                int n;
                long length = 0;
                while ((n = request.body().read(buffer)) > 0) {
                    sha.update(buffer, 0, n);
                    length += n;
                }
                response.body().write((length + " " + HexFormat.of().formatHex(sha.digest())).getBytes(UTF_8));
            } else {
                response.body().write("second".getBytes(UTF_8));
                readNow.countDown();
            }
        };
        byte[] big = new byte[5_000_000];
        new java.util.Random(1).nextBytes(big);
        try (ServerFixture fixture = new ServerFixture(handler, b -> b.bodySpoolThreshold(64 * 1024)
                .spoolDirectory(spool)); RawFcgiConnection conn = fixture.connect()) {
            conn.begin(1, 1, true).params(1, params()).stdin(1, big);
            conn.request(2, true, params(), new byte[0]);
            Map<Integer, Response> responses = conn.readResponses(1, 2);
            assertEquals("second", responses.get(2).body(), "not held up by request 1's unread body");
            Response response = responses.get(1);
            String expected = big.length + " " + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(big));
            assertEquals(expected, response.body());
            try (var files = Files.list(spool)) {
                assertEquals(0, files.count(), "spool files never outlive their request");
            }
        }
    }

    @Test
    @DisplayName("spec 54: FILTER gets STDIN then the DATA stream, with FCGI_DATA_LENGTH in params")
    void filterRole() throws Exception {
        FcgiHandler handler = (request, response) -> {
            String stdin = new String(request.body().readAllBytes(), UTF_8);
            String data = new String(request.data().readAllBytes(), UTF_8);
            response.body().write((request.role() + " " + stdin + " " + data + " " + request.param("FCGI_DATA_LENGTH"))
                    .getBytes(UTF_8));
        };
        try (ServerFixture fixture = new ServerFixture(handler); RawFcgiConnection conn = fixture.connect()) {
            conn.begin(1, 3, true).params(1, params("FCGI_DATA_LENGTH", "4", "FCGI_DATA_LAST_MOD", "0"))
                    .stdin(1, "in".getBytes(UTF_8));
            conn.stream(DATA, 1, "data".getBytes(UTF_8)).send(DATA, 1, new byte[0]);
            assertEquals("FILTER in data 4", conn.readResponse(1).body());
        }
    }

    @Test
    @DisplayName("spec 54: FILTER: after STDIN the handler writes and flushes, and the web server gets it before any"
            + " DATA; then a short DATA stream (7 of FCGI_DATA_LENGTH 10) is read and the shortfall detected")
    void filterWritesBeforeDataAndSeesItsLength() throws Exception {
        FcgiHandler handler = (request, response) -> {
            String stdin = new String(request.body().readAllBytes(), UTF_8);
            response.body().write(("early " + stdin + "\n").getBytes(UTF_8));
            response.body().flush();
            byte[] data = request.data().readAllBytes();
            long expected = Long.parseLong(request.param("FCGI_DATA_LENGTH"));
            response.body().write(("data '" + new String(data, UTF_8) + "': read " + data.length + " of FCGI_DATA_LENGTH "
                    + expected + (data.length < expected ? ", short by " + (expected - data.length) : "")
                    + ", FCGI_DATA_LAST_MOD " + request.param("FCGI_DATA_LAST_MOD")).getBytes(UTF_8));
        };
        try (ServerFixture fixture = new ServerFixture(handler); RawFcgiConnection conn = fixture.connect()) {
            conn.begin(1, 3, true).params(1, params("FCGI_DATA_LENGTH", "10", "FCGI_DATA_LAST_MOD", "1700000000"))
                    .stdin(1, "in".getBytes(UTF_8));
            Record early = conn.readRecord();               // no DATA sent yet
            assertNotNull(early, "connection closed");
            assertEquals(STDOUT, early.type());
            assertEquals(1, early.requestId());
            assertEquals("Status: 200 OK\r\n\r\nearly in\n", early.text());
            conn.stream(DATA, 1, "1234567".getBytes(UTF_8)).send(DATA, 1, new byte[0]);
            Response rest = conn.readResponse(1);
            assertEquals("data '1234567': read 7 of FCGI_DATA_LENGTH 10, short by 3, FCGI_DATA_LAST_MOD 1700000000",
                    rest.text());
            assertEquals(0, rest.end().protocolStatus());
        }
    }

    @Test
    @DisplayName("spec 55, 53: DATA for a RESPONDER is ignored; an AUTHORIZER accepts STDIN and may add Variable- headers")
    void dataIgnoredAndAuthorizer() throws Exception {
        FcgiHandler handler = (request, response) -> {
            byte[] data = request.data().readAllBytes();
            byte[] body = request.body().readAllBytes();
            if (request.role() == FcgiRole.AUTHORIZER) {
                response.header("Variable-USER", "alice");
            }
            response.body().write((request.role() + " " + data.length + " " + body.length).getBytes(UTF_8));
        };
        try (ServerFixture fixture = new ServerFixture(handler); RawFcgiConnection conn = fixture.connect()) {
            conn.begin(1, 1, true).params(1, params()).send(DATA, 1, "ignored".getBytes(UTF_8)).stdin(1, new byte[3]);
            assertEquals("RESPONDER 0 3", conn.readResponse(1).body());
            conn.begin(2, 2, true).params(2, params()).stdin(2, new byte[2]);
            Response authorized = conn.readResponse(2);
            assertTrue(authorized.headers().contains("Variable-USER: alice"));
            assertEquals("AUTHORIZER 0 2", authorized.body());
        }
    }

    @Test
    @DisplayName("finish(): the web server gets the whole answer while the handler goes on")
    void finishEarly() throws Exception {
        CountDownLatch clientGotAnswer = new CountDownLatch(1);
        AtomicBoolean handlerWentOn = new AtomicBoolean();
        CountDownLatch handlerDone = new CountDownLatch(1);
        FcgiHandler handler = (request, response) -> {
            response.body().write("done".getBytes(UTF_8));
            response.finish();
            response.body().write(" ignored".getBytes(UTF_8));
            handlerWentOn.set(clientGotAnswer.await(10, TimeUnit.SECONDS));
            handlerDone.countDown();
        };
        try (ServerFixture fixture = new ServerFixture(handler); RawFcgiConnection conn = fixture.connect()) {
            conn.request(1, true, params(), new byte[0]);
            assertEquals("done", conn.readResponse(1).body());
            clientGotAnswer.countDown();
            assertTrue(handlerDone.await(10, TimeUnit.SECONDS));
            assertTrue(handlerWentOn.get());
        }
    }

    @Test
    @DisplayName("REQUEST_BODY_FILE: the body is read from the file the web server names")
    void requestBodyFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("body");
        Files.writeString(file, "from the file");
        FcgiHandler handler = (request, response) -> response.body().write(request.body().readAllBytes());
        try (ServerFixture fixture = new ServerFixture(handler); RawFcgiConnection conn = fixture.connect()) {
            conn.request(1, true, params("REQUEST_BODY_FILE", file.toString()), new byte[0]);
            assertEquals("from the file", conn.readResponse(1).body());
        }
    }

    @Test
    @DisplayName("spec 76: a response to a web server that stops reading blocks the writer with bounded memory")
    void writeBlocksWhenNotWritable() throws Exception {
        AtomicLong written = new AtomicLong();
        AtomicReference<String> failure = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(1);
        FcgiHandler handler = (request, response) -> {
            byte[] chunk = new byte[16 * 1024];
            try {
                for (int i = 0; i < 100_000; i++) {
                    response.body().write(chunk);
                    written.addAndGet(chunk.length);
                }
            } catch (IOException e) {
                failure.set(e.getMessage());
            } finally {
                done.countDown();
            }
        };
        try (ServerFixture fixture = new ServerFixture(handler, b -> b.writeTimeout(Duration.ofMillis(300)));
             RawFcgiConnection conn = fixture.connect()) {
            conn.request(1, true, params(), new byte[0]);
            assertTrue(done.await(30, TimeUnit.SECONDS));
            assertNotNull(failure.get(), "the write timed out instead of buffering 1.6 GB");
            assertTrue(failure.get().contains("write timeout"), failure.get());
            assertTrue(written.get() < 64L * 1024 * 1024,
                    "written before blocking: " + written.get() + " bytes (socket buffers + water mark)");
            // cut short: the connection closes without END_REQUEST, or a web server reading on would take the
            // truncated answer for a complete one
            assertThrows(java.io.EOFException.class, () -> conn.readResponse(1));
        }
    }

    @Test
    @DisplayName("spec 10, 77: many concurrent writers on one connection never interleave bytes within records")
    void concurrentWritersKeepRecordsWhole() throws Exception {
        FcgiHandler handler = (request, response) -> {
            int id = request.requestId();
            byte[] chunk = new byte[3000 + id * 7];
            java.util.Arrays.fill(chunk, (byte) id);
            for (int i = 0; i < 100; i++) {
                response.body().write(chunk);
                if (i % 10 == 0) {
                    response.body().flush();
                }
            }
        };
        try (ServerFixture fixture = new ServerFixture(handler); RawFcgiConnection conn = fixture.connect()) {
            int requests = 40;
            for (int id = 1; id <= requests; id++) {
                conn.request(id, true, params(), new byte[0]);
            }
            Map<Integer, java.io.ByteArrayOutputStream> bodies = new HashMap<>();
            int ended = 0;
            while (ended < requests) {
                Record record = conn.readRecord();
                if (record.type() == STDOUT) {
                    bodies.computeIfAbsent(record.requestId(), k -> new java.io.ByteArrayOutputStream())
                            .writeBytes(record.content());
                } else if (record.type() == END_REQUEST) {
                    ended++;
                }
            }
            for (int id = 1; id <= requests; id++) {
                String text = new String(bodies.get(id).toByteArray(), java.nio.charset.StandardCharsets.ISO_8859_1);
                String body = text.substring(text.indexOf("\r\n\r\n") + 4);
                assertEquals((3000 + id * 7) * 100, body.length());
                for (int i = 0; i < body.length(); i++) {
                    if (body.charAt(i) != (char) id) {
                        fail("request " + id + ": byte " + i + " belongs to another request");
                    }
                }
            }
        }
    }

    @Test
    @DisplayName("the event-loop handler mode runs after the whole request arrived, without blocking")
    void handlerOnEventLoop() throws Exception {
        FcgiHandler handler = (request, response) -> {
            assertTrue(Thread.currentThread().getName().startsWith("fcgi-io"), Thread.currentThread().getName());
            assertEquals(request.body().available(), 5);
            response.body().write(request.body().readAllBytes());
        };
        try (ServerFixture fixture = new ServerFixture(handler, b -> b.handlerOnEventLoop(true));
             RawFcgiConnection conn = fixture.connect()) {
            conn.begin(1, 1, true).params(1, params()).stream(STDIN, 1, "ab".getBytes(UTF_8))
                    .stdin(1, "cde".getBytes(UTF_8));
            assertEquals("abcde", conn.readResponse(1).body());
        }
    }

    @Test
    @DisplayName("terminate(): a supervisor ends an uncommitted response with its status; the handler's writes then fail")
    void terminateUncommitted() throws Exception {
        AtomicReference<FcgiResponse> running = new AtomicReference<>();
        AtomicReference<Throwable> writeError = new AtomicReference<>();
        CountDownLatch terminated = new CountDownLatch(1);
        CountDownLatch handlerDone = new CountDownLatch(1);
        FcgiHandler handler = (request, response) -> {
            running.set(response);
            while (terminated.getCount() > 0) {
                Thread.onSpinWait(); // stuck, and deaf to interrupts
            }
            try {
                response.body().write("too late".getBytes(UTF_8));
                response.body().flush();
            } catch (IOException e) {
                writeError.set(e);
            } finally {
                handlerDone.countDown();
            }
        };
        try (ServerFixture fixture = new ServerFixture(handler); RawFcgiConnection conn = fixture.connect()) {
            conn.request(1, true, params(), new byte[0]);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (running.get() == null && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertTrue(running.get().terminate(504, "request_terminate_timeout"));
            assertFalse(running.get().terminate(504, "twice"), "only once");
            terminated.countDown();
            Response response = conn.readResponse(1);
            assertEquals(504, response.status());
            assertTrue(response.body().contains("request_terminate_timeout"), response.body());
            assertEquals(1, response.end().appStatus());
            assertTrue(handlerDone.await(20, TimeUnit.SECONDS));
            assertInstanceOf(RequestAbortedException.class, writeError.get());
        }
    }

    @Test
    @DisplayName("terminate(): a committed response is cut short and its connection closed, so the web server sees a failure")
    void terminateCommitted() throws Exception {
        AtomicReference<FcgiResponse> running = new AtomicReference<>();
        CountDownLatch release = new CountDownLatch(1);
        FcgiHandler handler = (request, response) -> {
            response.body().write("partial".getBytes(UTF_8));
            response.body().flush();
            running.set(response);
            release.await(20, TimeUnit.SECONDS);
        };
        try (ServerFixture fixture = new ServerFixture(handler); RawFcgiConnection conn = fixture.connect()) {
            conn.request(1, true, params(), new byte[0]);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (running.get() == null && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertTrue(running.get().terminate(504, "request_terminate_timeout"));
            // what was sent, then the connection closes with no STDOUT end and no END_REQUEST: a web server must
            // report the answer as failed (nginx: "upstream prematurely closed"), not pass it on as complete
            StringBuilder stdout = new StringBuilder();
            for (Record record; (record = conn.readRecord()) != null; ) {
                assertEquals(6, record.type(), "only STDOUT (6) content before the close");
                assertTrue(record.content().length > 0, "no end of the STDOUT stream");
                stdout.append(record.text());
            }
            assertTrue(stdout.toString().endsWith("partial"), stdout::toString);
            release.countDown();
        }
    }

    @Test
    @DisplayName("terminate() after commit on a multiplexed connection: new requests are refused, the others finish, then it closes")
    void terminateCommittedMultiplexed() throws Exception {
        java.util.Map<String, FcgiResponse> running = new java.util.concurrent.ConcurrentHashMap<>();
        CountDownLatch release = new CountDownLatch(1);
        FcgiHandler handler = (request, response) -> {
            response.body().write(("partial " + request.param("WHO")).getBytes(UTF_8));
            response.body().flush();
            running.put(request.param("WHO"), response);
            release.await(20, TimeUnit.SECONDS);
        };
        try (ServerFixture fixture = new ServerFixture(handler); RawFcgiConnection conn = fixture.connect()) {
            conn.request(1, true, params("WHO", "cut"), new byte[0]);
            conn.request(2, true, params("WHO", "other"), new byte[0]);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (running.size() < 2 && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertTrue(running.get("cut").terminate(504, "request_terminate_timeout"));
            conn.request(3, true, params("WHO", "late"), new byte[0]);
            List<Record> records = new ArrayList<>();
            Record end3 = null;
            while (end3 == null) {
                Record record = conn.readRecord();
                assertTrue(record != null, "the connection stays open for request 2");
                if (record.type() == 3 && record.requestId() == 3) {
                    end3 = record;
                } else {
                    records.add(record);
                }
            }
            assertEquals(2, end3.protocolStatus(), "FCGI_OVERLOADED (2): the closing connection takes no new request");
            release.countDown();
            for (Record record; (record = conn.readRecord()) != null; ) {     // until the server closes
                records.add(record);
            }
            StringBuilder other = new StringBuilder();
            records.stream().filter(r -> r.requestId() == 2 && r.type() == 6).forEach(r -> other.append(r.text()));
            assertTrue(other.toString().endsWith("partial other"), other::toString);
            assertTrue(records.stream().anyMatch(r -> r.requestId() == 2 && r.type() == 3), "request 2 ends");
            assertTrue(records.stream().noneMatch(r -> r.requestId() == 1 && (r.type() == 3 || r.content().length == 0)),
                    "request 1 gets no end records");
        }
    }
}
