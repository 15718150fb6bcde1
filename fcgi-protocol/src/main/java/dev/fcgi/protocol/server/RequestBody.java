package dev.fcgi.protocol.server;

import dev.fcgi.protocol.FcgiContentQueue;
import io.netty.buffer.ByteBuf;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One incoming byte stream of a request (STDIN or DATA), written by the event loop and read by the handler. Up to
 * {@code spoolThreshold} unread bytes stay in memory (in a {@link FcgiContentQueue}, so at most about twice that
 * whatever the size of the records); past that, what follows goes to a
 * temporary file, which the reader reads after the buffers, until the reader has caught up with the file (then
 * memory again). Memory stays bounded whatever the body size and however slowly the handler reads, and the
 * connection never stops reading for it (other requests on the connection are not held up).
 */
final class RequestBody extends InputStream {

    private static final byte[] EMPTY = new byte[0];

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final FcgiContentQueue buffers = new FcgiContentQueue();
    private final long spoolThreshold;
    private final Path spoolDirectory;
    private final long readTimeoutNanos;
    private final long maxLength;

    // Guarded by lock.
    private long buffered;
    private long received;
    private boolean ended;
    private IOException failure;
    private boolean closed;
    private boolean released;
    private long fileLength;
    private long fileReadPosition;

    // Written by the event loop only; read by the reader under lock once published through fileLength.
    private FileChannel file;
    private Path filePath;

    RequestBody(long spoolThreshold, Path spoolDirectory, long readTimeoutNanos, long maxLength) {
        this.spoolThreshold = spoolThreshold;
        this.spoolDirectory = spoolDirectory;
        this.readTimeoutNanos = readTimeoutNanos;
        this.maxLength = maxLength;
    }

    /** Adds received content, taking over the reference. Event loop only. */
    void offer(ByteBuf content) {
        int length = content.readableBytes();
        lock.lock();
        try {
            if (released || failure != null || ended) {
                content.release();
                return;
            }
            received += length;
            if (received > maxLength) {
                content.release();
                failLocked(new BodyTooLargeException(maxLength));
                return;
            }
            if (closed) {                   // the reader is gone: dropped, but counted as arrived
                content.release();
                changed.signalAll();
                return;
            }
            // in memory while it fits, also after a spill once the reader has caught up with the file: what is
            // in memory then is always older than what waits in the file, which the reader takes second
            if (fileReadPosition == fileLength && buffered + length <= spoolThreshold) {
                buffers.add(content);
                buffered += length;
                changed.signalAll();
                return;
            }
        } finally {
            lock.unlock();
        }
        spool(content);
    }

    private void spool(ByteBuf content) {
        try {
            if (file == null) {
                Files.createDirectories(spoolDirectory);
                filePath = Files.createTempFile(spoolDirectory, "fcgi-body-", ".tmp");
                file = FileChannel.open(filePath, StandardOpenOption.READ, StandardOpenOption.WRITE,
                        StandardOpenOption.DELETE_ON_CLOSE);
            }
            long position;
            lock.lock();
            try {
                position = fileLength;
            } finally {
                lock.unlock();
            }
            int length = content.readableBytes();
            content.getBytes(content.readerIndex(), file, position, length);
            lock.lock();
            try {
                fileLength += length;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        } catch (IOException e) {
            fail(new IOException("request body: cannot spool to " + spoolDirectory + ": " + e.getMessage(), e));
        } finally {
            content.release();
        }
    }

    /** Marks the end of the stream. Event loop only. */
    void end() {
        lock.lock();
        try {
            ended = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Fails the stream: pending and later reads throw {@code cause}. Any thread. */
    void fail(IOException cause) {
        lock.lock();
        try {
            failLocked(cause);
        } finally {
            lock.unlock();
        }
    }

    private void failLocked(IOException cause) {
        if (failure == null && !ended) {
            failure = cause;
        }
        changed.signalAll();
    }

    /**
     * Waits until the whole stream has arrived (read or not), has failed, or the request is over. Not on the event
     * loop, which delivers the stream.
     *
     * @throws BodyReadTimeoutException when no data arrived for the read timeout
     */
    void awaitArrival() throws IOException {
        lock.lock();
        try {
            long seen = received;
            long deadline = System.nanoTime() + readTimeoutNanos;
            while (!ended && failure == null && !released) {
                if (received != seen) {
                    seen = received;
                    deadline = System.nanoTime() + readTimeoutNanos;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new BodyReadTimeoutException(TimeUnit.NANOSECONDS.toMillis(readTimeoutNanos));
                }
                changed.awaitNanos(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("request body: interrupted while waiting for its end");
        } finally {
            lock.unlock();
        }
    }

    /** The bytes held in memory now. */
    long bufferedBytes() {
        lock.lock();
        try {
            return buffered;
        } finally {
            lock.unlock();
        }
    }

    /** Whether the stream went to a temporary file. */
    boolean isSpooled() {
        lock.lock();
        try {
            return file != null;
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
    public int read(byte[] target, int offset, int length) throws IOException {
        java.util.Objects.checkFromIndexSize(offset, length, target.length);
        if (length == 0) {
            return 0;
        }
        lock.lock();
        try {
            long deadline = System.nanoTime() + readTimeoutNanos;
            for (;;) {
                if (closed) {
                    throw new IOException("request body: stream closed");
                }
                ByteBuf head = buffers.peek();
                if (head != null) {
                    int n = Math.min(length, head.readableBytes());
                    head.readBytes(target, offset, n);
                    buffered -= n;
                    if (!head.isReadable()) {
                        buffers.poll().release();
                    }
                    return n;
                }
                if (fileReadPosition < fileLength) {
                    int n = (int) Math.min(length, fileLength - fileReadPosition);
                    int read = file.read(ByteBuffer.wrap(target, offset, n), fileReadPosition);
                    fileReadPosition += read;
                    return read;
                }
                if (failure != null) {
                    if (failure instanceof BodyTooLargeException tooLarge) {
                        throw new BodyTooLargeException(tooLarge);
                    }
                    if (failure instanceof RequestAbortedException) {
                        throw new RequestAbortedException(failure.getMessage());
                    }
                    throw new IOException(failure.getMessage(), failure);
                }
                if (ended) {
                    return -1;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new BodyReadTimeoutException(TimeUnit.NANOSECONDS.toMillis(readTimeoutNanos));
                }
                try {
                    changed.awaitNanos(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("request body: interrupted");
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Reads up to {@code length} bytes; a body that has fully arrived in memory is copied into one array of the
     * exact size, instead of through the growing buffers of {@link InputStream#readNBytes(int)}. A request without
     * a body costs no allocation.
     */
    @Override
    public byte[] readNBytes(int length) throws IOException {
        if (length < 0) {
            throw new IllegalArgumentException("length < 0");
        }
        lock.lock();
        try {
            if (!closed && failure == null && ended && fileReadPosition == fileLength) {
                byte[] bytes = buffered == 0 || length == 0 ? EMPTY : new byte[(int) Math.min(length, buffered)];
                int filled = 0;
                while (filled < bytes.length) {
                    ByteBuf head = buffers.peek();
                    int n = Math.min(bytes.length - filled, head.readableBytes());
                    head.readBytes(bytes, filled, n);
                    filled += n;
                    buffered -= n;
                    if (!head.isReadable()) {
                        buffers.poll().release();
                    }
                }
                return bytes;
            }
        } finally {
            lock.unlock();
        }
        return super.readNBytes(length);
    }

    @Override
    public int available() {
        lock.lock();
        try {
            return (int) Math.min(Integer.MAX_VALUE, buffered + fileLength - fileReadPosition);
        } finally {
            lock.unlock();
        }
    }

    /** Closes the stream for the reader; the memory and file are freed by {@link #release()}. */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            releaseBuffersLocked();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Frees the buffers and deletes the spool file. Event loop only; the request is over. */
    void release() {
        lock.lock();
        try {
            closed = true;
            released = true;
            releaseBuffersLocked();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (file != null) {
            try {
                file.close();
            } catch (IOException ignored) {
                // DELETE_ON_CLOSE removes it; nothing else to do
            }
        }
    }

    private void releaseBuffersLocked() {
        ByteBuf buf;
        while ((buf = buffers.poll()) != null) {
            buf.release();
        }
        buffered = 0;
    }

    /** No body data arrived within the body read timeout. */
    static final class BodyReadTimeoutException extends IOException {
        private static final long serialVersionUID = 1L;

        BodyReadTimeoutException(long timeoutMillis) {
            super("request body: no data for " + timeoutMillis + " ms (body read timeout)");
        }
    }

    /** The body exceeded the server's maximum request body length. */
    static final class BodyTooLargeException extends IOException {
        private static final long serialVersionUID = 1L;

        BodyTooLargeException(long maxLength) {
            super("request body: more than " + maxLength + " bytes (max request body length)");
        }

        BodyTooLargeException(BodyTooLargeException cause) {
            super(cause.getMessage(), cause);
        }
    }
}
