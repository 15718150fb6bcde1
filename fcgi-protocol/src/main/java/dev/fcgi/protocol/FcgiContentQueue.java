package dev.fcgi.protocol;

import io.netty.buffer.ByteBuf;

import java.util.ArrayDeque;

/**
 * Received content waiting for its reader (a request or response body), kept so that it holds about the memory its
 * bytes need. Decoders hand content on as slices of the buffer a read filled, and a slice keeps that whole buffer:
 * a body trickled one byte per record and per read would hold a read buffer of 64 bytes to 64 KiB, plus a few
 * hundred bytes of objects, for every byte. So a piece of under {@value #COPY_BELOW} bytes, or under half of the
 * buffer it is a slice of, is copied into a buffer of this queue's own (at least {@value #TAIL_CAPACITY} bytes,
 * filled before another is made) and the slice released; larger pieces are kept as they are. The memory held is
 * then at most about twice the readable bytes, plus one partly filled buffer.
 *
 * <p>Not thread-safe: the owner guards it (the body's lock). The reader takes bytes from {@link #peek()} and
 * removes a buffer it has emptied with {@link #poll()}, releasing it.
 */
public final class FcgiContentQueue {

    /** Pieces shorter than this are always copied. */
    static final int COPY_BELOW = 512;
    /** The size of the buffers small pieces are copied into. */
    static final int TAIL_CAPACITY = 4096;

    private final ArrayDeque<ByteBuf> buffers = new ArrayDeque<>();
    /** The last buffer, when this queue made it and it may take more bytes. */
    private ByteBuf tail;

    /** Creates an empty queue. */
    public FcgiContentQueue() {
    }

    /** Adds the readable bytes of {@code content}, taking over the caller's reference. */
    public void add(ByteBuf content) {
        int length = content.readableBytes();
        if (length >= COPY_BELOW && 2L * length >= rootCapacity(content)) {
            buffers.add(content);
            tail = null;
            return;
        }
        try {
            if (tail != null && tail.isWritable()) {
                content.readBytes(tail, Math.min(length, tail.writableBytes()));
            }
            if (content.isReadable()) {
                int rest = content.readableBytes();
                tail = content.alloc().buffer(Math.max(rest, TAIL_CAPACITY));
                tail.writeBytes(content);
                buffers.add(tail);
            }
        } finally {
            content.release();
        }
    }

    /** The oldest buffer, or {@code null} when the queue is empty. */
    public ByteBuf peek() {
        return buffers.peek();
    }

    /** Removes and returns the oldest buffer (the caller releases it), or {@code null} when the queue is empty. */
    public ByteBuf poll() {
        ByteBuf head = buffers.poll();
        if (head == tail) {
            tail = null;
        }
        return head;
    }

    /** Whether no buffer is queued. */
    public boolean isEmpty() {
        return buffers.isEmpty();
    }

    /** The capacity of the buffer {@code content} is a slice (or duplicate) of, or its own. */
    private static int rootCapacity(ByteBuf content) {
        ByteBuf root = content;
        for (ByteBuf parent = root.unwrap(); parent != null; parent = root.unwrap()) {
            root = parent;
        }
        return root.capacity();
    }
}
