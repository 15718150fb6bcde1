package dev.fcgi.protocol.client;

import dev.fcgi.protocol.FcgiContentQueue;
import io.netty.buffer.ByteBuf;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.Objects;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The body of a response as it streams in: the event loop {@link #offer offers} STDOUT content, a caller's thread
 * reads it. When more than {@code highWater} bytes wait unread, {@link #offer} says so and the connection stops
 * reading from the socket; once the reader has brought them down to half of that, {@link Listener#drained()} lets
 * it read again. The stream ends (-1) at END_REQUEST, not at the empty STDOUT record, so that once the body has
 * been read the application status is known.
 */
final class ResponseBody extends InputStream {

    /** Callbacks to the connection, from the reader's thread. */
    interface Listener {
        /** The unread bytes fell to the low-water mark after {@link #offer} reported the high-water mark. */
        void drained();

        /** The reader closed the body before the response ended. */
        void closedEarly();
    }

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final FcgiContentQueue queue = new FcgiContentQueue();
    private final long highWater;
    private final long lowWater;
    private final Listener listener;
    private long buffered;
    private boolean overHighWater;
    private boolean ended;
    private boolean closed;
    private IOException failure;

    ResponseBody(long highWater, Listener listener) {
        this.highWater = highWater;
        this.lowWater = highWater / 2;
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /**
     * Queues content (taking over the caller's reference). Returns true when the unread bytes are above the
     * high-water mark, so that the caller should stop reading.
     */
    boolean offer(ByteBuf content) {
        lock.lock();
        try {
            if (closed || ended || failure != null) {
                content.release();
                return false;
            }
            buffered += content.readableBytes();
            queue.add(content);
            changed.signalAll();
            if (buffered > highWater) {
                overHighWater = true;
            }
            return overHighWater;
        } finally {
            lock.unlock();
        }
    }

    /** Ends the stream normally: readers get what is queued, then -1. */
    void end() {
        lock.lock();
        try {
            ended = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Ends the stream with an error: queued content is dropped, and reads throw {@code cause}. */
    void fail(IOException cause) {
        lock.lock();
        try {
            if (ended || closed || failure != null) {
                return;
            }
            failure = cause;
            releaseQueue();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The number of bytes received and not yet read. */
    long bufferedBytes() {
        lock.lock();
        try {
            return buffered;
        } finally {
            lock.unlock();
        }
    }

    boolean isEnded() {
        lock.lock();
        try {
            return ended;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) {
            return 0;
        }
        boolean drained = false;
        lock.lock();
        try {
            for (;;) {
                if (closed) {
                    throw new IOException("response body closed");
                }
                ByteBuf head = queue.peek();
                if (head != null) {
                    int n = Math.min(len, head.readableBytes());
                    head.readBytes(b, off, n);
                    if (!head.isReadable()) {
                        queue.poll().release();
                    }
                    buffered -= n;
                    if (overHighWater && buffered <= lowWater) {
                        overHighWater = false;
                        drained = true;
                    }
                    return n;
                }
                if (failure != null) {
                    throw failure;
                }
                if (ended) {
                    return -1;
                }
                try {
                    changed.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while waiting for the response body");
                }
            }
        } finally {
            lock.unlock();
            if (drained) {
                listener.drained();
            }
        }
    }

    @Override
    public int available() {
        lock.lock();
        try {
            return (int) Math.min(Integer.MAX_VALUE, buffered);
        } finally {
            lock.unlock();
        }
    }

    /** Drops what is queued; when the response has not ended, the request is aborted. Idempotent. */
    @Override
    public void close() {
        boolean early;
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            early = !ended && failure == null;
            releaseQueue();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (early) {
            listener.closedEarly();
        }
    }

    private void releaseQueue() {
        ByteBuf buf;
        while ((buf = queue.poll()) != null) {
            buf.release();
        }
        buffered = 0;
        overHighWater = false;
    }
}
