package dev.fcgi.protocol.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link BodyPipe}: bounded, released exactly once whatever ends it. */
class BodyPipeTest {

    private final AtomicInteger drained = new AtomicInteger();

    private BodyPipe pipe(long highWater, long timeoutMillis) {
        return new BodyPipe(highWater, TimeUnit.MILLISECONDS.toNanos(timeoutMillis), drained::incrementAndGet);
    }

    private static ByteBuf bytes(int n) {
        return Unpooled.directBuffer(n).writeZero(n);
    }

    @Test
    void stopsTheConnectionAboveHighWaterAndResumesAtHalf() throws IOException {
        BodyPipe pipe = pipe(1000, 1000);
        assertTrue(pipe.offer(bytes(600)));
        assertFalse(pipe.offer(bytes(600)), "1200 > 1000: stop reading");
        byte[] buffer = new byte[500];
        assertEquals(500, pipe.read(buffer));                   // 700 left
        assertEquals(0, drained.get());
        assertEquals(100, pipe.read(buffer));                   // the rest of the first buffer: 600 left
        assertEquals(0, drained.get(), "600 > 500 (half)");
        assertEquals(500, pipe.read(buffer));                   // 100 left
        assertEquals(1, drained.get(), "at half: read again");
        pipe.end();
        assertEquals(100, pipe.read(buffer));
        assertEquals(-1, pipe.read(buffer));
        assertTrue(pipe.isEnded());
    }

    @Test
    void failReleasesWhatIsQueuedAndLaterOffers() {
        BodyPipe pipe = pipe(100, 1000);
        ByteBuf queued = bytes(10);
        pipe.offer(queued);
        IOException cause = new BodyTooLargeException(5);
        pipe.fail(cause);
        assertEquals(0, queued.refCnt());
        ByteBuf late = bytes(10);
        assertTrue(pipe.offer(late));
        assertEquals(0, late.refCnt());
        assertSame(cause, assertThrows(IOException.class, () -> pipe.read(new byte[1])));
    }

    @Test
    void closeByTheReaderDiscardsTheRestAndLetsTheConnectionRead() {
        BodyPipe pipe = pipe(10, 1000);
        ByteBuf queued = bytes(20);
        assertFalse(pipe.offer(queued));
        pipe.close();
        assertEquals(0, queued.refCnt());
        assertEquals(1, drained.get(), "a paused connection reads (and discards) again");
        ByteBuf late = bytes(5);
        assertTrue(pipe.offer(late));
        assertEquals(0, late.refCnt());
    }

    @Test
    void aReadWaitsAtMostTheTimeout() {
        BodyPipe pipe = pipe(100, 50);
        assertThrows(SocketTimeoutException.class, () -> pipe.read(new byte[1]));
        assertTrue(pipe.failure() instanceof SocketTimeoutException);
    }

    @Test
    void aReaderOnAnotherThreadGetsTheBytesInOrder() throws Exception {
        BodyPipe pipe = pipe(1 << 20, 5000);
        Thread writer = Thread.ofVirtual().start(() -> {
            for (String part : new String[] {"hello ", "pipe ", "world"}) {
                pipe.offer(Unpooled.copiedBuffer(part, StandardCharsets.US_ASCII));
            }
            pipe.end();
        });
        assertArrayEquals("hello pipe world".getBytes(StandardCharsets.US_ASCII), pipe.readAllBytes());
        writer.join();
    }
}
