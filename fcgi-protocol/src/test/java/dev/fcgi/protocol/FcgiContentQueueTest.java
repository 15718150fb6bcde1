package dev.fcgi.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;

import static dev.fcgi.protocol.FcgiTestWire.pattern;
import static org.junit.jupiter.api.Assertions.*;

/**
 * {@link FcgiContentQueue}: content that would pin a much larger read buffer is copied, other content is kept as
 * it came, and the bytes come out in order.
 */
class FcgiContentQueueTest {

    /** A read buffer of {@code capacity} bytes, filled with a pattern. */
    private static ByteBuf readBuffer(int capacity) {
        return ByteBufAllocator.DEFAULT.buffer(capacity, capacity).writeBytes(pattern(capacity));
    }

    /** Takes every byte out of the queue as a reader does, releasing each buffer. */
    private static byte[] drain(FcgiContentQueue queue) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (ByteBuf head; (head = queue.peek()) != null; ) {
            byte[] bytes = new byte[head.readableBytes()];
            head.readBytes(bytes);
            out.writeBytes(bytes);
            queue.poll().release();
        }
        return out.toByteArray();
    }

    @Test
    @DisplayName("one-byte slices of a 64 KiB read buffer are copied into one buffer: the read buffer is freed")
    void tinySlicesDoNotPinTheirReadBuffer() {
        ByteBuf read = readBuffer(65536);
        FcgiContentQueue queue = new FcgiContentQueue();
        for (int i = 0; i < 1000; i++) {
            queue.add(read.retainedSlice(i * 7, 1));
        }
        read.release();
        assertEquals(0, read.refCnt(), "no slice of the read buffer is kept");
        byte[] expected = new byte[1000];
        byte[] all = pattern(65536);
        for (int i = 0; i < 1000; i++) {
            expected[i] = all[i * 7];
        }
        ByteBuf head = queue.peek();
        assertEquals(1000, head.readableBytes(), "the pieces share one buffer of the queue's own");
        assertArrayEquals(expected, drain(queue));
        assertTrue(queue.isEmpty());
    }

    @Test
    @DisplayName("a slice of at least half its buffer (and 512 bytes) is kept as it is, without a copy")
    void largeSliceIsKept() {
        ByteBuf read = readBuffer(8192);
        FcgiContentQueue queue = new FcgiContentQueue();
        ByteBuf slice = read.retainedSlice(100, 4096);
        queue.add(slice);
        assertSame(slice, queue.peek());
        read.release();
        assertEquals(1, read.refCnt(), "the kept slice holds its buffer");
        drain(queue);
        assertEquals(0, read.refCnt());
    }

    @Test
    @DisplayName("medium slices of a large buffer fill the queue's buffers to the brim, in order")
    void copiesFillEachBuffer() {
        ByteBuf read = readBuffer(65536);
        FcgiContentQueue queue = new FcgiContentQueue();
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        for (int at = 0; at + 3000 <= 30000; at += 3000) {
            queue.add(read.retainedSlice(at, 3000));
            expected.write(pattern(65536), at, 3000);
        }
        read.release();
        assertEquals(0, read.refCnt());
        assertEquals(FcgiContentQueue.TAIL_CAPACITY, queue.peek().readableBytes(), "the first buffer is full");
        assertArrayEquals(expected.toByteArray(), drain(queue));
    }

    @Test
    @DisplayName("content added after the reader emptied the last buffer goes into a new one")
    void addAfterDrain() {
        ByteBuf read = readBuffer(4096);
        FcgiContentQueue queue = new FcgiContentQueue();
        queue.add(read.retainedSlice(0, 10));
        assertArrayEquals(java.util.Arrays.copyOfRange(pattern(4096), 0, 10), drain(queue));
        queue.add(read.retainedSlice(10, 5));
        queue.add(read.retainedSlice(15, 0));
        read.release();
        assertArrayEquals(java.util.Arrays.copyOfRange(pattern(4096), 10, 15), drain(queue));
        assertEquals(0, read.refCnt());
    }
}
