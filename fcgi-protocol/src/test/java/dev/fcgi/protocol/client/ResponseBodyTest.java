package dev.fcgi.protocol.client;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The streamed response body: high- and low-water marks, end, failure and early close, with no leaked buffer. */
class ResponseBodyTest {

    final AtomicInteger drained = new AtomicInteger();
    final AtomicInteger closedEarly = new AtomicInteger();
    final ResponseBody body = new ResponseBody(100, new ResponseBody.Listener() {
        @Override
        public void drained() {
            drained.incrementAndGet();
        }

        @Override
        public void closedEarly() {
            closedEarly.incrementAndGet();
        }
    });

    static ByteBuf bytes(int n) {
        return PooledByteBufAllocator.DEFAULT.buffer(n).writeZero(n);
    }

    @Test
    void reportsTheHighWaterMarkAndTheDrainToHalf() throws IOException {
        assertFalse(body.offer(bytes(60)));
        assertTrue(body.offer(bytes(60)), "120 > 100 unread bytes");
        assertTrue(body.offer(bytes(10)), "still above until drained");
        byte[] buf = new byte[60];
        assertEquals(60, body.read(buf));
        assertEquals(0, drained.get(), "70 left, above the low-water mark of 50");
        assertEquals(60, body.read(buf));
        assertEquals(1, drained.get());
        assertFalse(body.offer(bytes(5)));
        body.end();
        assertEquals(15, body.readAllBytes().length);
        assertEquals(-1, body.read());
        body.close();
        assertEquals(0, closedEarly.get(), "closed after the end: nothing to abort");
    }

    @Test
    void failureDropsQueuedBytesAndIsThrownToTheReader() {
        body.offer(bytes(10));
        FcgiClientException cause = new FcgiClientException("boom");
        body.fail(cause);
        assertSame(cause, assertThrows(IOException.class, body::read));
        assertEquals(0, body.bufferedBytes());
        body.close();
        assertEquals(0, closedEarly.get());
    }

    @Test
    void closeBeforeTheEndReleasesAndReportsOnce() {
        body.offer(bytes(10));
        body.close();
        body.close();
        assertEquals(1, closedEarly.get());
        assertFalse(body.offer(bytes(10)), "offers after close are released");
        assertThrows(IOException.class, body::read);
    }
}
