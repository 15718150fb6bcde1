package dev.fcgi.protocol.server;

import dev.fcgi.protocol.testing.Await;
import dev.fcgi.protocol.testing.LiveMemory;
import dev.fcgi.protocol.testing.RawFcgiConnection;
import dev.fcgi.protocol.testing.RawFcgiConnection.Record;
import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static dev.fcgi.protocol.testing.RawFcgiConnection.*;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Slow peers on the FastCGI socket: bytes trickled before and after BEGIN_REQUEST, params never ended, a body
 * that stalls, a web server that reads the response slowly or not at all. Each is cut by a timeout (a few hundred
 * milliseconds here) while another connection is served meanwhile. Trickled bytes come {@link #PAUSE} apart,
 * well inside every timeout, so that a timer reset by reads would never fire; a trickle gives up after
 * {@link #TRICKLE_BUDGET} bytes (20 s), which fails the test.
 */
class ServerSlowlorisTest {

    static final Duration TIMEOUT = Duration.ofMillis(300);
    static final long PAUSE = 50;
    static final int TRICKLE_BUDGET = 400;
    static final long FLOOD_BUDGET = 24L << 20;
    static final FcgiHandler HELLO = (request, response) -> response.body().write("hi".getBytes(UTF_8));

    /**
     * Writes {@code bytes} one at a time, {@link #PAUSE} ms apart, until the server answers or closes the
     * connection; after the third byte, checks that another connection is served. Returns the bytes written.
     */
    static int trickle(RawFcgiConnection conn, byte[] bytes, ServerFixture fixture) throws Exception {
        int written = 0;
        while (written < Math.min(bytes.length, TRICKLE_BUDGET)) {
            try {
                conn.write(new byte[] {bytes[written]});
            } catch (IOException e) {
                return written;                         // reset: the server had closed the connection
            }
            written++;
            Thread.sleep(PAUSE);                        // the attack's pace, not a synchronisation
            if (written == 3) {
                assertServed(fixture);
            }
            if (conn.isClosedByPeer() || conn.hasUnreadBytes()) {
                return written;
            }
        }
        throw new AssertionError("the server still reads a connection that trickled " + written + " bytes, "
                + PAUSE + " ms apart, without completing a request");
    }

    /** A request on a new connection is answered 200, its END_REQUEST complete. */
    static void assertServed(ServerFixture fixture) throws IOException {
        try (RawFcgiConnection other = fixture.connect()) {
            other.request(1, false, Map.of(), new byte[0]);
            RawFcgiConnection.Response response = other.readResponse(1);
            assertEquals(200, response.status(), "another connection is served meanwhile: " + response.text());
            assertEquals(0, response.end().protocolStatus());
        }
    }

    /** A record header declaring {@code length} bytes of content, and the content, for trickling. */
    static byte[] recordOf(int type, int id, int length) {
        byte[] bytes = new byte[8 + length];
        bytes[0] = 1;
        bytes[1] = (byte) type;
        bytes[2] = (byte) (id >> 8);
        bytes[3] = (byte) id;
        bytes[4] = (byte) (length >> 8);
        bytes[5] = (byte) length;
        for (int i = 8; i < bytes.length; i++) {
            bytes[i] = 'a';
        }
        return bytes;
    }

    @Test
    @DisplayName("no BEGIN_REQUEST: a connection trickling a record that never completes is closed by the idle timeout")
    void trickleBeforeBegin() throws Exception {
        try (ServerFixture fixture = new ServerFixture(HELLO, b -> b.idleTimeout(TIMEOUT));
             RawFcgiConnection conn = fixture.connect()) {
            trickle(conn, recordOf(GET_VALUES, 0, 0xFFFF), fixture);       // 65,535 bytes of content announced
            assertTrue(conn.awaitClosed());
            assertServed(fixture);
        }
    }

    @Test
    @DisplayName("no BEGIN_REQUEST: a connection sending only management records is closed by the idle timeout")
    void onlyManagementRecords() throws Exception {
        byte[] query = record(GET_VALUES, 0, pairs(Map.of("FCGI_MAX_CONNS", "")));
        try (ServerFixture fixture = new ServerFixture(HELLO, b -> b.idleTimeout(TIMEOUT));
             RawFcgiConnection conn = fixture.connect()) {
            for (int sent = 0; ; sent++) {
                assertTrue(sent < TRICKLE_BUDGET, "still open after " + sent + " GET_VALUES, " + PAUSE + " ms apart");
                try {
                    conn.write(query);
                } catch (IOException e) {
                    break;                              // reset: closed
                }
                if (sent == 3) {
                    assertServed(fixture);
                }
                Record answer = conn.readRecord();
                if (answer == null) {
                    break;
                }
                assertEquals(GET_VALUES_RESULT, answer.type());
                Thread.sleep(PAUSE);
            }
            assertServed(fixture);
        }
    }

    @ParameterizedTest(name = "keep-conn {0}")
    @ValueSource(booleans = {true, false})
    @DisplayName("spec 57: params trickled after BEGIN_REQUEST: END_REQUEST after the header timeout, then closed")
    void trickledParams(boolean keepConn) throws Exception {
        try (ServerFixture fixture = new ServerFixture(HELLO, b -> b.headerTimeout(TIMEOUT)
                .idleTimeout(Duration.ofSeconds(30)).lingerTimeout(TIMEOUT));
             RawFcgiConnection conn = fixture.connect()) {
            conn.begin(1, 1, keepConn);
            trickle(conn, recordOf(PARAMS, 1, 0xFFFF), fixture);
            Record end = conn.readRecord();
            assertEquals(END_REQUEST, end.type(), "the request is ended, without any STDOUT");
            assertEquals(1, end.appStatus());
            assertEquals(0, end.protocolStatus());
            assertTrue(conn.awaitClosed(), "a peer that trickles its params is not kept");
            assertServed(fixture);
        }
    }

    /** How the handler of a request whose body stalls treats the body. */
    enum BodyReader {
        /** Reads it at once. */
        AT_ONCE,
        /** Works for a while first, then reads it. */
        LATE,
        /** Runs on the event loop, once the whole body has come (so never). */
        ON_EVENT_LOOP,
        /** Answers without reading it. */
        NEVER
    }

    @ParameterizedTest(name = "handler reading {0}")
    @EnumSource(BodyReader.class)
    @DisplayName("spec 57: a body that stalls mid-record gets 408 after the body read timeout; the idle connection is"
            + " then closed")
    void stalledBody(BodyReader reader) throws Exception {
        FcgiHandler handler = switch (reader) {
            case NEVER -> HELLO;
            case LATE -> (request, response) -> {
                Thread.sleep(2 * TIMEOUT.toMillis());           // busy before it reads: part of the scenario
                response.body().write(request.body().readAllBytes());
            };
            default -> (request, response) -> response.body().write(request.body().readAllBytes());
        };
        try (ServerFixture fixture = new ServerFixture(handler, b -> b.bodyReadTimeout(TIMEOUT).idleTimeout(TIMEOUT)
                .handlerOnEventLoop(reader == BodyReader.ON_EVENT_LOOP));
             RawFcgiConnection conn = fixture.connect()) {
            conn.begin(1, 1, true).params(1, Map.of("REQUEST_METHOD", "POST", "CONTENT_LENGTH", "1000"));
            byte[] record = recordOf(STDIN, 1, 1000);
            conn.write(java.util.Arrays.copyOf(record, 8 + 100));          // the header and 100 of 1000 bytes
            RawFcgiConnection.Response response = conn.readResponse(1);
            assertEquals(reader == BodyReader.NEVER ? 200 : 408, response.status(), response.text());
            assertServed(fixture);
            assertTrue(conn.awaitClosed(), "the connection with no request in progress is closed");
        }
    }

    @Test
    @DisplayName("spec 76: a web server reading the response 1 KiB every 50 ms: the handler's write fails after the"
            + " write timeout, the request ends and its connection is closed")
    void slowReader() throws Exception {
        AtomicReference<String> failure = new AtomicReference<>();
        AtomicInteger requests = new AtomicInteger();
        FcgiHandler handler = (request, response) -> {
            if (requests.getAndIncrement() > 0) {               // assertServed's request, on a connection of its own
                response.body().write("served".getBytes(java.nio.charset.StandardCharsets.UTF_8));
                return;
            }
            byte[] chunk = new byte[16 * 1024];
            try {
                for (int i = 0; i < 4096; i++) {                // 64 MiB, far more than the socket buffers
                    response.body().write(chunk);
                }
            } catch (IOException e) {
                failure.set(e.getMessage());
                throw e;
            }
        };
        try (ServerFixture fixture = new ServerFixture(handler, b -> b.writeTimeout(TIMEOUT).idleTimeout(TIMEOUT));
             SocketChannel reader = SocketChannel.open(fixture.server.localAddress())) {
            reader.write(ByteBuffer.wrap(concat(record(BEGIN_REQUEST, 1, new byte[] {0, 1, 1, 0, 0, 0, 0, 0}),
                    record(PARAMS, 1, new byte[0]), record(STDIN, 1, new byte[0]))));
            reader.configureBlocking(false);
            ByteBuffer slowly = ByteBuffer.allocate(1024);
            for (int reads = 0; failure.get() == null || fixture.server.connectionCount() > 0; reads++) {
                assertTrue(reads < TRICKLE_BUDGET, "still writing to a reader taking 1 KiB every " + PAUSE + " ms");
                if (reader.read(slowly.clear()) < 0) {
                    break;
                }
                Thread.sleep(PAUSE);
                if (reads == 3) {
                    assertServed(fixture);
                }
            }
            assertTrue(failure.get().contains("write timeout"), failure.get());
            Await.until(Duration.ofSeconds(20), () -> fixture.server.connectionCount() == 0,
                    "the server closed the slow reader's connection");
        }
    }

    @Test
    @DisplayName("spec 76: a handler on the event loop writing 64 MiB to a web server that never reads: past"
            + " eventLoopWriteLimit its write fails, the answer is cut short and the connection closed")
    void eventLoopHandlerToAPeerThatNeverReads() throws Exception {
        AtomicReference<IOException> failure = new AtomicReference<>();
        java.util.concurrent.CountDownLatch failed = new java.util.concurrent.CountDownLatch(1);
        FcgiHandler handler = (request, response) -> {
            byte[] chunk = new byte[16 * 1024];
            try {
                for (int i = 0; i < 4096; i++) {
                    response.body().write(chunk);
                }
            } catch (IOException e) {
                failure.set(e);
                failed.countDown();
                throw e;
            }
        };
        try (ServerFixture fixture = new ServerFixture(handler, b -> b.handlerOnEventLoop(true)
                .eventLoopWriteLimit(1 << 20));
             SocketChannel peer = SocketChannel.open(fixture.server.localAddress())) {
            peer.write(ByteBuffer.wrap(concat(record(BEGIN_REQUEST, 1, new byte[] {0, 1, 1, 0, 0, 0, 0, 0}),
                    record(PARAMS, 1, new byte[0]), record(STDIN, 1, new byte[0]))));
            assertTrue(failed.await(20, TimeUnit.SECONDS), "the write failed before 64 MiB were queued");
            assertTrue(failure.get().getMessage().contains("event-loop write limit"), failure.get().getMessage());
            Await.until(Duration.ofSeconds(20), () -> fixture.server.connectionCount() == 0,
                    "the server closed the connection");
            long received = 0;
            ByteBuffer sink = ByteBuffer.allocate(64 * 1024);
            for (int n = peer.read(sink); n >= 0; n = peer.read(sink.clear())) {    // up to the server's close
                received += n;
            }
            assertTrue(received < 64L << 20, "the answer was cut short: " + received + " bytes");
        }
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    @Test
    @DisplayName("a web server that never reads its answers is not read either: the server's memory stays bounded")
    void peerThatNeverReads() throws Exception {
        // BEGIN_REQUEST with role 9: each is answered at once with FCGI_UNKNOWN_ROLE, a record the peer never reads
        byte[] begin = record(BEGIN_REQUEST, 1, new byte[] {0, 9, 1, 0, 0, 0, 0, 0});
        ByteBuffer batch = ByteBuffer.allocate(begin.length * 4096);
        while (batch.hasRemaining()) {
            batch.put(begin);
        }
        // Leak tracing keeps a stack trace per buffer (about 10 KB per queued answer), which would dwarf what is
        // measured and slow the server to a few thousand records a second.
        ResourceLeakDetector.Level level = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        try (ServerFixture fixture = new ServerFixture(HELLO);
             SocketChannel flood = SocketChannel.open(fixture.server.localAddress())) {
            long before = LiveMemory.used();
            flood.configureBlocking(false);
            long sent = 0;
            long lastProgress = System.nanoTime();
            long deadline = lastProgress + TimeUnit.SECONDS.toNanos(20);
            while (System.nanoTime() - lastProgress < TimeUnit.MILLISECONDS.toNanos(500)) {
                // the kernel's socket buffers take about 10 MiB of requests and answers before anything waits
                assertTrue(sent < FLOOD_BUDGET && System.nanoTime() < deadline, "the server kept reading a peer"
                        + " that reads nothing: " + LiveMemory.mib(sent) + " MiB of requests taken");
                if (!batch.hasRemaining()) {
                    batch.flip();
                }
                int n = flood.write(batch);
                if (n > 0) {
                    sent += n;
                    lastProgress = System.nanoTime();
                } else {
                    Thread.sleep(1);
                }
            }
            long growth = LiveMemory.used() - before;
            System.out.printf("a peer that never reads: %d KiB of requests sent before the server stopped reading;"
                    + " memory grew by %d KiB%n", sent >> 10, growth >> 10);
            assertServed(fixture);
            assertTrue(growth < 16L << 20, "memory grew by " + LiveMemory.mib(growth) + " MiB while "
                    + LiveMemory.mib(sent) + " MiB of requests were sent and none of the answers read");
        } finally {
            ResourceLeakDetector.setLevel(level);
        }
    }
}
