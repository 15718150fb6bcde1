package dev.fcgi.protocol.gateway;

import dev.fcgi.protocol.FcgiContentQueue;
import io.netty.buffer.ByteBuf;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A request body on its way from the HTTP connection to the backend: the event loop {@link #offer offers} the
 * content Netty decoded, another thread (the FastCGI client's body pump, or the spooler of a chunked body) reads
 * it as an {@link InputStream}. Memory stays bounded: once more than {@code highWater} bytes wait unread,
 * {@link #offer} returns false and the connection stops reading from the socket; once the reader has brought them
 * down to half of that, {@link Listener#drained()} asks it to read again.
 *
 * <p>A read waits at most {@code readTimeout} for the next bytes (nginx's {@code client_body_timeout}), then fails
 * with a {@link SocketTimeoutException}. Reads fail with the cause given to {@link #fail} (the client went away,
 * the body is too large). Closing the stream (the reader no longer wants the body) releases what is queued and
 * makes later offers release their content at once, so that the rest of the body is discarded.
 */
final class BodyPipe extends InputStream {

    /** Callbacks to the connection, from the reader's thread. */
    interface Listener {
        /** The unread bytes fell to the low-water mark after {@link #offer} returned false. */
        void drained();
    }

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final FcgiContentQueue queue = new FcgiContentQueue();
    private final long highWater;
    private final long readTimeoutNanos;
    private final Listener listener;
    private long buffered;
    private boolean full;
    private boolean ended;
    private boolean closed;
    private boolean waitingForClient;
    private IOException failure;

    BodyPipe(long highWater, long readTimeoutNanos, Listener listener) {
        this.highWater = highWater;
        this.readTimeoutNanos = readTimeoutNanos;
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /**
     * Queues content, taking over the caller's reference. Returns true when the caller may read more from the
     * connection, false when the unread bytes passed the high-water mark (then {@link Listener#drained()} follows).
     * Content offered after the reader closed the stream, or after a failure, is released at once.
     */
    boolean offer(ByteBuf content) {
        lock.lock();
        try {
            if (closed || ended || failure != null) {
                content.release();
                return true;
            }
            buffered += content.readableBytes();
            queue.add(content);
            changed.signalAll();
            if (buffered > highWater) {
                full = true;
            }
            return !full;
        } finally {
            lock.unlock();
        }
    }

    /** The body is complete: readers get what is queued, then -1. */
    void end() {
        lock.lock();
        try {
            ended = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Ends the stream with an error: queued content is released and reads throw {@code cause}. */
    void fail(IOException cause) {
        lock.lock();
        try {
            if (closed || failure != null) {
                return;
            }
            failure = cause;
            releaseQueue();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Whether the whole body has arrived ({@link #end()} was called). */
    boolean isEnded() {
        lock.lock();
        try {
            return ended;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Whether the reader was last left waiting for bytes the client had not sent (even if the pipe has been closed
     * or failed since): the body is slow, not its reader.
     */
    boolean isStarved() {
        lock.lock();
        try {
            return waitingForClient && !ended;
        } finally {
            lock.unlock();
        }
    }

    /** The failure given to {@link #fail} or met by a read (a timeout), or null. */
    IOException failure() {
        lock.lock();
        try {
            return failure;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
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
            long deadline = System.nanoTime() + readTimeoutNanos;
            for (;;) {
                if (closed) {
                    throw new IOException("request body closed");
                }
                if (failure != null) {
                    throw failure;
                }
                ByteBuf head = queue.peek();
                waitingForClient = head == null && !ended;
                if (head != null) {
                    int n = Math.min(len, head.readableBytes());
                    head.readBytes(b, off, n);
                    if (!head.isReadable()) {
                        queue.poll().release();
                    }
                    buffered -= n;
                    if (full && buffered <= highWater / 2) {
                        full = false;
                        drained = true;
                    }
                    return n;
                }
                if (ended) {
                    return -1;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    failure = new SocketTimeoutException("no request body bytes from the client for "
                            + TimeUnit.NANOSECONDS.toMillis(readTimeoutNanos) + " ms");
                    throw failure;
                }
                try {
                    changed.awaitNanos(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while waiting for the request body");
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

    /** Releases what is queued; later offers are released at once (the rest of the body is discarded). */
    @Override
    public void close() {
        boolean wasFull;
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            wasFull = full;
            releaseQueue();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (wasFull) {
            listener.drained();         // the connection may read (and discard) again
        }
    }

    private void releaseQueue() {
        ByteBuf buf;
        while ((buf = queue.poll()) != null) {
            buf.release();
        }
        buffered = 0;
        full = false;
    }
}
