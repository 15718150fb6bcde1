package dev.fcgi.protocol.server;

import dev.fcgi.protocol.FcgiHttpReasons;
import dev.fcgi.protocol.FcgiStderr;
import dev.fcgi.protocol.FcgiStdout;
import io.netty.buffer.ByteBuf;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The response of one exchange. Body bytes collect in a chunk of {@code responseBufferSize} bytes, sent as one
 * STDOUT record when full or flushed; the first chunk carries the CGI header block. After each record sent from a
 * handler thread the writer waits until the connection is writable again, which bounds the memory a response
 * takes. Unless the server is full duplex, the first record also waits until the request body has arrived (see
 * {@link FcgiServer.Builder#fullDuplex(boolean)}). One thread at a time writes it (the handler's, or the event loop
 * before and instead of a handler); a lock lets a supervisor {@link #terminate} it from another thread, and is
 * never held while a writer waits.
 */
final class ServerResponse implements FcgiResponse {

    private final Exchange exchange;
    private final int bufferSize;
    private final List<String[]> headers = new ArrayList<>(8);
    private final OutputStream body = new BodyStream();
    private final OutputStream stderr = new StderrStream();

    private int status = 200;
    private String reason;
    private int appStatus;
    private boolean committed;
    private boolean finished;
    private boolean cutShort;          // terminated after commit: the answer ends without END_REQUEST
    private boolean stderrUsed;
    private boolean bodyArrived;       // the head may go out: full duplex, or the request body has arrived
    private ByteBuf chunk;
    private final ReentrantLock lock = new ReentrantLock();

    ServerResponse(Exchange exchange, int bufferSize, boolean fullDuplex) {
        this.exchange = exchange;
        this.bufferSize = bufferSize;
        this.bodyArrived = fullDuplex;
    }

    @Override
    public FcgiResponse status(int code) {
        return status(code, FcgiHttpReasons.of(code));
    }

    @Override
    public FcgiResponse status(int code, String reason) {
        if (code < 100 || code > 999) {
            throw new IllegalArgumentException("status: " + code + " (expected: 100 to 999)");
        }
        checkValue(reason);
        lock.lock();
        try {
            if (!committed) {
                this.status = code;
                this.reason = reason;
            }
        } finally {
            lock.unlock();
        }
        return this;
    }

    @Override
    public int status() {
        return status;
    }

    @Override
    public FcgiResponse header(String name, String value) {
        return putHeader(name, value, true);
    }

    @Override
    public FcgiResponse addHeader(String name, String value) {
        return putHeader(name, value, false);
    }

    private FcgiResponse putHeader(String name, String value, boolean replace) {
        if (name.equalsIgnoreCase("Status")) {
            return statusLine(value);
        }
        checkName(name);
        checkValue(value);
        lock.lock();
        try {
            if (!committed) {
                if (replace) {
                    headers.removeIf(h -> h[0].equalsIgnoreCase(name));
                }
                headers.add(new String[] {name, value});
            }
        } finally {
            lock.unlock();
        }
        return this;
    }

    private FcgiResponse statusLine(String value) {
        String trimmed = value.strip();
        int space = trimmed.indexOf(' ');
        try {
            int code = Integer.parseInt(space < 0 ? trimmed : trimmed.substring(0, space));
            return space < 0 ? status(code) : status(code, trimmed.substring(space + 1).strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("Status header: '" + value + "' (expected: a code and a reason)");
        }
    }

    @Override
    public String header(String name) {
        lock.lock();
        try {
            for (int i = headers.size() - 1; i >= 0; i--) {
                if (headers.get(i)[0].equalsIgnoreCase(name)) {
                    return headers.get(i)[1];
                }
            }
            return null;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public OutputStream body() {
        return body;
    }

    @Override
    public OutputStream stderr() {
        return stderr;
    }

    @Override
    public FcgiResponse appStatus(int appStatus) {
        this.appStatus = appStatus;
        return this;
    }

    @Override
    public boolean isCommitted() {
        return committed;
    }

    @Override
    public void finish() throws IOException {
        complete(null);
    }

    /**
     * Ends the response: sends what is buffered, the end of STDOUT (and STDERR) and END_REQUEST. A failure turns an
     * uncommitted response into an error answer. Idempotent.
     *
     * @return whether this call ended the response ({@code false}: it had ended before)
     */
    boolean complete(Throwable failure) {
        lock.lock();
        try {
            return completeLocked(failure);
        } finally {
            lock.unlock();
        }
    }

    private boolean completeLocked(Throwable failure) {
        if (finished) {
            return false;
        }
        finished = true;
        if (failure != null) {
            appStatus = appStatus == 0 ? 1 : appStatus;
            if (!committed) {
                releaseChunk();
                headers.clear();
                int code = statusFor(failure);
                status(code);
                headers.add(new String[] {"Content-Type", "text/plain; charset=utf-8"});
                appendToChunk((code + " " + FcgiHttpReasons.of(code) + "\n").getBytes(StandardCharsets.UTF_8));
            }
        }
        FcgiStdout last = null;
        if (!exchange.connection().isOpen() || (!committed && exchange.isAborted())) {
            releaseChunk();         // nobody wants the answer of an aborted request: its END_REQUEST is enough
        } else {
            last = takeChunk();
        }
        exchange.connection().end(exchange, last, appStatus, stderrUsed, cutShort);   // one trip to the event loop
        return true;
    }

    /** The status of a handler failure: 413 and 408 when a body read failed for the client's fault, else 500. */
    private static int statusFor(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof RequestBody.BodyTooLargeException) {
                return 413;
            }
            if (t instanceof RequestBody.BodyReadTimeoutException) {
                return 408;
            }
        }
        return 500;
    }

    /** Answers with {@code code} and a short text body, without running a handler. */
    void sendError(int code, String message) {
        lock.lock();
        try {
            if (!committed) {
                replaceWithError(code, message);
            }
            completeLocked(null);
        } finally {
            lock.unlock();
        }
    }

    private void replaceWithError(int code, String message) {
        status(code);
        headers.clear();
        headers.add(new String[] {"Content-Type", "text/plain; charset=utf-8"});
        releaseChunk();
        appendToChunk((code + " " + FcgiHttpReasons.of(code) + ": " + message + "\n").getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public boolean terminate(int code, String message) {
        boolean cutShort;
        lock.lock();
        try {
            if (finished) {
                return false;
            }
            cutShort = committed;
            appStatus = appStatus == 0 ? 1 : appStatus;
            if (cutShort) {
                releaseChunk();
                this.cutShort = true;       // no end records: the web server must not take the answer as complete
            } else {
                replaceWithError(code, message);
            }
            completeLocked(null);
        } finally {
            lock.unlock();
        }
        exchange.terminate(message, cutShort);
        return true;
    }

    /** Frees a chunk that will not be sent. */
    void discard() {
        lock.lock();
        try {
            finished = true;
            releaseChunk();
        } finally {
            lock.unlock();
        }
    }

    private void releaseChunk() {
        if (chunk != null) {
            chunk.release();
            chunk = null;
        }
    }

    private void appendToChunk(byte[] bytes) {
        if (chunk == null) {
            chunk = exchange.connection().alloc().buffer(Math.max(bufferSize, bytes.length));
        }
        chunk.writeBytes(bytes);
    }

    private void write(byte[] bytes, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, bytes.length);
        while (length > 0) {
            boolean sent = false;
            boolean held = false;
            lock.lock();
            try {
                exchange.checkWritable();
                if (finished) {
                    return;
                }
                if (chunk == null) {
                    chunk = exchange.connection().alloc().buffer(bufferSize);
                }
                int n = Math.min(length, bufferSize - chunk.readableBytes());
                chunk.writeBytes(bytes, offset, n);
                offset += n;
                length -= n;
                if (chunk.readableBytes() >= bufferSize) {
                    held = holdsHead();
                    if (!held) {
                        sendChunk(true);
                        sent = true;
                    }
                }
            } finally {
                lock.unlock();
            }
            if (held) {
                awaitRequestBody();
            } else if (sent) {
                exchange.connection().awaitWritable(exchange);
            }
        }
    }

    /** Whether the head must wait for the request body. Under the lock. */
    private boolean holdsHead() {
        return !committed && !bodyArrived && !exchange.connection().inEventLoop();
    }

    /** Waits, without the lock, until the request body has arrived and the head may go out. */
    private void awaitRequestBody() throws IOException {
        try {
            exchange.stdinBody().awaitArrival();
        } catch (RequestBody.BodyReadTimeoutException e) {
            // the held chunk holds part of the answer: a handler that swallowed this and returned must not send it
            // as a complete one
            terminate(408, e.getMessage());
            throw e;
        }
        exchange.checkWritable();
        lock.lock();
        try {
            bodyArrived = true;
        } finally {
            lock.unlock();
        }
    }

    /** {@link #holdsHead()}, taking the lock. */
    private boolean headHeld() {
        lock.lock();
        try {
            return holdsHead();
        } finally {
            lock.unlock();
        }
    }

    private void flushBody() throws IOException {
        if (headHeld()) {
            awaitRequestBody();
        }
        lock.lock();
        try {
            exchange.checkWritable();
            if (finished) {
                return;
            }
            sendChunk(true);
        } finally {
            lock.unlock();
        }
        exchange.connection().awaitWritable(exchange);
    }

    /** Sends the buffered chunk (with the header block first when not committed yet) as one STDOUT record. */
    private void sendChunk(boolean flush) {
        FcgiStdout record = takeChunk();
        if (record != null) {
            exchange.connection().write(record, flush);
        }
    }

    /**
     * The buffered chunk, with the header block first when not committed yet, as one STDOUT record; {@code null}
     * when there is nothing to send.
     */
    private FcgiStdout takeChunk() {
        ByteBuf content = chunk;
        chunk = null;
        if (!committed) {
            committed = true;
            byte[] head = headerBlock();
            ByteBuf record = exchange.connection().alloc()
                    .buffer(head.length + (content == null ? 0 : content.readableBytes()));
            record.writeBytes(head);
            if (content != null) {
                record.writeBytes(content);
                content.release();
            }
            content = record;
        }
        if (content == null) {
            return null;
        }
        if (!content.isReadable()) {
            content.release();
            return null;
        }
        return new FcgiStdout(exchange.requestId(), content);
    }

    private byte[] headerBlock() {
        StringBuilder head = new StringBuilder(128);
        head.append("Status: ").append(status).append(' ').append(reason == null ? FcgiHttpReasons.of(status) : reason)
                .append("\r\n");
        for (String[] header : headers) {
            head.append(header[0]).append(": ").append(header[1]).append("\r\n");
        }
        head.append("\r\n");
        return head.toString().getBytes(StandardCharsets.UTF_8);
    }

    private void writeStderr(byte[] bytes, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, bytes.length);
        lock.lock();
        try {
            exchange.checkWritable();
            if (finished || length == 0) {
                return;
            }
            stderrUsed = true;
            ByteBuf content = exchange.connection().alloc().buffer(length);
            content.writeBytes(bytes, offset, length);
            exchange.connection().write(new FcgiStderr(exchange.requestId(), content), true);
        } finally {
            lock.unlock();
        }
        exchange.connection().awaitWritable(exchange);
    }

    private static void checkName(String name) {
        if (name.isEmpty()) {
            throw new IllegalArgumentException("header name is empty");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c <= ' ' || c >= 127 || c == ':') {
                throw new IllegalArgumentException("header name: '" + name + "' (has a character not allowed in a token)");
            }
        }
    }

    private static void checkValue(String value) {
        if (value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("header value has a CR or LF: '" + value + "'");
        }
    }

    private final class BodyStream extends OutputStream {
        @Override
        public void write(int b) throws IOException {
            ServerResponse.this.write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            ServerResponse.this.write(b, off, len);
        }

        @Override
        public void flush() throws IOException {
            flushBody();
        }

        /** Sends what is buffered, unless the head still waits for the request body: then the end sends it. */
        @Override
        public void close() throws IOException {
            if (!headHeld()) {
                flushBody();
            }
        }
    }

    private final class StderrStream extends OutputStream {
        @Override
        public void write(int b) throws IOException {
            writeStderr(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            writeStderr(b, off, len);
        }
    }

}
