package dev.fcgi.pool;

import dev.fcgi.protocol.client.FcgiClient;
import dev.fcgi.protocol.client.FcgiClientRequest;
import dev.fcgi.protocol.client.FcgiClientResponse;
import dev.fcgi.protocol.client.Multiplexing;
import dev.fcgi.protocol.server.FcgiHandler;
import dev.fcgi.protocol.server.FcgiRequest;
import dev.fcgi.protocol.server.FcgiResponse;
import dev.fcgi.protocol.server.FcgiServer;
import dev.fcgi.protocol.testing.Await;
import dev.fcgi.protocol.testing.BytePattern;
import dev.fcgi.protocol.testing.ClientLoad;
import dev.fcgi.protocol.testing.LiveMemory;
import io.netty.util.internal.PlatformDependent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A client that reads a large response slowly, through its own {@link FcgiClient}, while a well-behaved load runs
 * on another: the handler writing the response waits at the connection's write-buffer water mark whenever the
 * reader stops, so that the response never piles up in memory, and the other requests go on. With a write timeout,
 * a reader that stops for longer than it fails the response and frees the worker.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class SlowReaderUnderLoadTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final int STEP = 40;
    /** What a stalled response may have written at most: socket buffers, the water mark, the client's buffer. */
    private static final long WRITTEN_WHILE_STALLED_CAP = 32L << 20;

    private final AtomicLong now = new AtomicLong();
    private final PoolEvents events = new PoolEvents();
    private final BigHandler handler = new BigHandler();
    private FcgiPool pool;
    private FcgiServer server;
    private FcgiClient client;
    private FcgiClient slowClient;

    @AfterEach
    void close() {
        for (AutoCloseable closeable : new AutoCloseable[] {slowClient, client, server, pool}) {
            try {
                if (closeable != null) {
                    closeable.close();
                }
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }
    }

    private void start(Duration writeTimeout) throws Exception {
        pool = FcgiPool.builder("www").strategy(PoolShape.STATIC.strategy()).handler(handler).listener(events)
                .ticker(now::get).heartbeat(Duration.ofHours(1)).build().start();
        server = FcgiServer.builder().listen("127.0.0.1:0").handler(pool.handler()).dispatcher(pool)
                .writeTimeout(writeTimeout).build().start();
        client = FcgiClient.builder().address(server.localAddress()).maxConnections(8)
                .multiplexing(Multiplexing.OFF).build();
        // its own connection: a reader that stops holds up the requests that share its connection
        slowClient = FcgiClient.builder().address(server.localAddress()).maxConnections(1)
                .requestTimeout(Duration.ofMinutes(3)).build();
    }

    private ClientLoad load() {
        return new ClientLoad(3, 5_000, Duration.ofSeconds(100), id -> {
            try (FcgiClientResponse response = client.send(FcgiClientRequest.builder().cgi("GET", "/srv/ok.php", "")
                    .param("ID", id).build()).get(ClientLoad.CALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                String body = response.bodyAsString();
                return response.status() == 200 && body.equals("ok " + id) ? null
                        : response.status() + " '" + body + "'";
            }
        }).start();
    }

    private FcgiClientResponse big(long bytes) throws Exception {
        return slowClient.send(FcgiClientRequest.builder().cgi("GET", "/srv/big.php", "").param("BYTES",
                Long.toString(bytes)).build()).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    @Test
    @DisplayName("256 MiB to a reader that stops three times: the handler waits, memory stays bounded, the load"
            + " goes on, every byte arrives")
    void slowReaderOfALargeResponse() throws Exception {
        start(Duration.ofSeconds(60));
        long heapBefore = LiveMemory.heapAfterGc();
        ClientLoad load = load();
        load.awaitAnswered(0, STEP, WAIT);
        long length = 256L << 20;
        List<String> stalls = new ArrayList<>();
        long maxLiveHeap = 0;
        try (FcgiClientResponse response = big(length)) {
            assertEquals(200, response.status());
            InputStream body = response.body();
            BytePattern.Reader check = new BytePattern.Reader();
            for (int stall = 0; stall < 3; stall++) {
                // the reader stops: the handler fills the buffers on the way, then waits for the connection
                awaitWriterWaiting();
                long written = handler.written.get();
                long live = LiveMemory.heapAfterGc();
                maxLiveHeap = Math.max(maxLiveHeap, live);
                long inFlight = written - check.bytesRead();
                stalls.add((written >> 20) + " MiB written, " + (inFlight >> 10) + " KiB in flight, heap after GC "
                        + (live >> 20) + " MiB, Netty direct memory " + (PlatformDependent.usedDirectMemory() >> 10)
                        + " KiB");
                assertTrue(inFlight < WRITTEN_WHILE_STALLED_CAP, "the handler waits at the water mark: " + stalls);
                load.awaitAnswered(load.answered(), STEP, WAIT);        // the other requests go on meanwhile
                check.read(body, 32L << 20);
            }
            check.read(body, Long.MAX_VALUE);
            assertEquals(length, check.bytesRead(), "bytes received");
            assertEquals(-1, check.firstMismatch(), "offset of the first byte that is not i % 251");
        }
        load.stop();

        PoolShape.STATIC.settle(pool, now);
        assertEquals(load.sent() + 1, pool.status().acceptedConn());
        assertEquals(Map.of(200, load.sent() + 1), events.completed());
        Await.until(WAIT, () -> server.activeRequestCount() == 0, "no request in progress on the server");
        System.out.printf("SlowReaderUnderLoadTest: 256 MiB to a reader that stopped 3 times, %d requests of the load"
                + " beside it; heap after GC before %d MiB; at each stop: %s%n", load.sent(), heapBefore >> 20, stalls);
        assertTrue(maxLiveHeap - heapBefore < 32 << 20, "heap after GC while stalled: " + stalls);
    }

    @Test
    @DisplayName("writeTimeout: a reader that stops for longer fails the response; the worker is free again, the load"
            + " goes on")
    void readerPastTheWriteTimeout() throws Exception {
        start(Duration.ofSeconds(1));
        ClientLoad load = load();
        load.awaitAnswered(0, STEP, WAIT);
        try (FcgiClientResponse response = big(256L << 20)) {
            assertEquals(200, response.status());
            // the reader never reads: the handler's write waits for the connection, and gives up after 1 s
            Await.until(WAIT, () -> handler.failure.get() != null, "the handler's write failed");
            assertTrue(handler.failure.get().getMessage().contains("(write timeout)"), handler.failure.get()::toString);
            load.awaitAnswered(load.answered(), STEP, WAIT);
            Await.until(WAIT, () -> server.activeRequestCount() == 0, "the response ended on the server");
            // what the reader then gets: the response cut short, never a truncated answer that looks complete
            BytePattern.Reader check = new BytePattern.Reader();
            IOException cut = assertThrows(IOException.class, () -> check.read(response.body(), Long.MAX_VALUE));
            assertTrue(check.bytesRead() < 256L << 20, "read " + check.bytesRead() + " bytes before: " + cut);
        }
        load.awaitAnswered(load.answered(), STEP, WAIT);
        load.stop();

        PoolShape.STATIC.settle(pool, now);
        assertEquals(load.sent() + 1, pool.status().acceptedConn());
        assertEquals(load.sent() + 1, events.completedCount(), events::toString);
        Await.until(WAIT, () -> server.activeRequestCount() == 0, "no request in progress on the server");
    }

    /** Waits until the handler's thread waits for the connection to take more of the response. */
    private void awaitWriterWaiting() {
        Await.until(WAIT, () -> {
            Thread writer = handler.writer;
            if (writer == null || (writer.getState() != Thread.State.WAITING
                    && writer.getState() != Thread.State.TIMED_WAITING)) {
                return false;
            }
            return Arrays.stream(writer.getStackTrace()).anyMatch(f -> f.getMethodName().equals("awaitWritable"));
        }, () -> "the handler waits for the connection; written " + handler.written.get());
    }

    /** Answers {@code ok <ID>}, or, for {@code /big.php}, {@code BYTES} bytes where byte i is {@code i % 251}. */
    private static final class BigHandler implements FcgiHandler {
        final AtomicLong written = new AtomicLong();
        final AtomicReference<IOException> failure = new AtomicReference<>();
        volatile Thread writer;

        @Override
        public void handle(FcgiRequest request, FcgiResponse response) throws Exception {
            if (!request.scriptName().equals("/big.php")) {
                response.body().write(("ok " + request.param("ID")).getBytes(UTF_8));
                return;
            }
            writer = Thread.currentThread();
            response.contentType("application/octet-stream");
            try {
                BytePattern.write(response.body(), Long.parseLong(request.param("BYTES")), written);
            } catch (IOException e) {
                failure.set(e);
                throw e;
            } finally {
                writer = null;
            }
        }
    }
}
