package dev.fcgi.protocol.server;

import dev.fcgi.protocol.FcgiNameValueDecoder;
import dev.fcgi.protocol.FcgiParameters;
import dev.fcgi.protocol.FcgiParamsException;
import dev.fcgi.protocol.FcgiRole;
import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.net.SocketAddress;
import java.nio.channels.ClosedByInterruptException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One request on a connection, from BEGIN_REQUEST to END_REQUEST: the request the handler reads, its response,
 * and the state that makes sure the handler runs at most once and END_REQUEST is sent exactly once.
 *
 * <p>Fields without a lock or {@code volatile} belong to the connection's event loop.
 */
final class Exchange implements FcgiRequest {

    private static final Logger logger = LoggerFactory.getLogger(Exchange.class);

    private static final int NEW = 0;       // PARAMS arriving
    private static final int QUEUED = 1;    // handed to the executor
    private static final int RUNNING = 2;   // the handler runs
    private static final int DONE = 3;      // the handler returned, or will never run

    private final FcgiServerHandler connection;
    private final int requestId;
    private final FcgiRole role;
    private final boolean keepConn;
    private final FcgiNameValueDecoder paramsDecoder;
    private final RequestBody stdin;
    private final RequestBody data;
    private final ServerResponse response;
    private final long terminateTimeoutNanos;
    private final AtomicInteger state = new AtomicInteger(NEW);
    private final List<Runnable> abortActions = new ArrayList<>(1);

    private FcgiParamsException paramsError;
    boolean paramsEnded;
    boolean stdinEnded;
    boolean dataEnded;
    ScheduledFuture<?> headerTimer;
    /** An event-loop handler's wait for the rest of the input: see {@link FcgiServerHandler}. */
    ScheduledFuture<?> bodyTimer;
    long lastInputNanos;

    private volatile boolean aborted;
    private volatile boolean ended;
    private Thread handlerThread; // guarded by this
    private InputStream bodyFile; // handler thread only

    Exchange(FcgiServerHandler connection, ServerConfig config, int requestId, FcgiRole role, boolean keepConn) {
        this.connection = connection;
        this.requestId = requestId;
        this.role = role;
        this.keepConn = keepConn;
        this.paramsDecoder = new FcgiNameValueDecoder(new FcgiParameters(32), config.maxParamsLength(),
                config.maxParams());
        long readTimeout = config.bodyReadTimeout().toNanos();
        this.stdin = new RequestBody(config.bodySpoolThreshold(), config.spoolDirectory(), readTimeout,
                config.maxRequestBodyLength());
        this.data = new RequestBody(config.bodySpoolThreshold(), config.spoolDirectory(), readTimeout,
                config.maxRequestBodyLength());
        this.response = new ServerResponse(this, config.responseBufferSize(), config.fullDuplex());
        this.terminateTimeoutNanos = config.requestTerminateTimeout().toNanos();
        if (role != FcgiRole.FILTER) {
            data.end();
            dataEnded = true;
        }
    }

    FcgiServerHandler connection() {
        return connection;
    }

    ServerResponse response() {
        return response;
    }

    RequestBody stdinBody() {
        return stdin;
    }

    RequestBody dataBody() {
        return data;
    }

    // ---- FcgiRequest

    @Override
    public int requestId() {
        return requestId;
    }

    @Override
    public FcgiRole role() {
        return role;
    }

    @Override
    public boolean keepConn() {
        return keepConn;
    }

    @Override
    public FcgiParameters params() {
        return paramsDecoder.params();
    }

    @Override
    public SocketAddress peerAddress() {
        return connection.peerAddress();
    }

    @Override
    public InputStream body() {
        String file = param("REQUEST_BODY_FILE");
        if (file == null || file.isEmpty()) {
            return stdin;
        }
        if (bodyFile == null) {
            try {
                bodyFile = Files.newInputStream(Path.of(file));
            } catch (IOException e) {
                throw new UncheckedIOException("REQUEST_BODY_FILE " + file + ": " + e.getMessage(), e);
            }
        }
        return bodyFile;
    }

    @Override
    public InputStream data() {
        return data;
    }

    @Override
    public boolean isAborted() {
        // a lost connection fails the handler's writes before channelInactive marks the request aborted
        return aborted || (!ended && !connection.isOpen());
    }

    @Override
    public void onAbort(Runnable action) {
        synchronized (abortActions) {
            if (!aborted) {
                abortActions.add(action);
                return;
            }
        }
        action.run();
    }

    // ---- event loop side

    /** Decodes a piece of PARAMS; after a limit was exceeded the rest is discarded. */
    void decodeParams(ByteBuf content) {
        if (paramsError != null) {
            return;
        }
        try {
            paramsDecoder.decode(content);
        } catch (FcgiParamsException e) {
            paramsError = e;
        }
    }

    /** Ends the PARAMS stream; returns the reason the request cannot run, or {@code null}. */
    FcgiParamsException endParams() {
        paramsEnded = true;
        if (headerTimer != null) {
            headerTimer.cancel(false);
        }
        if (paramsError == null) {
            try {
                paramsDecoder.finish();
            } catch (FcgiParamsException e) {
                paramsError = e;
            }
        }
        return paramsError;
    }

    /** Notes that STDIN or DATA content arrived, for the body timer of an event-loop handler. */
    void inputArrived() {
        if (bodyTimer != null) {
            lastInputNanos = connection.nanoTime();
        }
    }

    /** Whether every input stream the handler of an event-loop server needs has ended. */
    boolean inputComplete() {
        return paramsEnded && stdinEnded && dataEnded;
    }

    /** Claims the request for a handler run; false when it was aborted first. */
    boolean queue() {
        return state.compareAndSet(NEW, QUEUED);
    }

    /** Claims the request for an answer without a handler (refusal, bad params); false when already claimed. */
    boolean claimWithoutHandler() {
        return state.compareAndSet(NEW, DONE) || state.compareAndSet(QUEUED, DONE);
    }

    boolean isHandlerDone() {
        return state.get() == DONE;
    }

    /** Runs the handler, then ends the response. Runs on the executor, or on the event loop. */
    void run(FcgiHandler handler) {
        if (!state.compareAndSet(QUEUED, RUNNING)) {
            return;
        }
        synchronized (this) {
            handlerThread = Thread.currentThread();
        }
        ScheduledFuture<?> terminateTimer = null;
        Throwable failure = null;
        try {
            if (terminateTimeoutNanos > 0 && !connection.inEventLoop()) {
                terminateTimer = connection.schedule(this::terminateTimedOut, terminateTimeoutNanos);
            }
            handler.handle(this, response);
        } catch (Throwable t) {
            failure = t;
        } finally {
            if (terminateTimer != null) {
                terminateTimer.cancel(false);
            }
            synchronized (this) {
                handlerThread = null;
                Thread.interrupted(); // an abort's interrupt must not leak into the thread's next task
            }
            closeBodyFile();
            state.set(DONE);
        }
        if (failure != null) {
            if (isAbortSymptom(failure)) {
                logger.debug("request {} on {}: handler stopped after abort: {}", requestId, connection, failure.toString());
                failure = null;
            } else {
                logger.error("request {} on {} ({} {}): handler failed", requestId, connection, method(),
                        requestUri(), failure);
            }
        }
        if (!response.complete(failure)) {        // ended before (finish(), an abort): free it once ended
            connection.handlerDone(this);
        }                                           // else the end, which sees DONE, frees it
    }

    /** The request terminate timeout: ends the request of a handler still running. Event loop. */
    private void terminateTimedOut() {
        String reason = "execution timed out after " + TimeUnit.NANOSECONDS.toMillis(terminateTimeoutNanos)
                + " ms (request terminate timeout)";
        if (response.terminate(504, reason)) {
            logger.warn("request {} on {} ({} {}): {}; terminated", requestId, connection, method(), requestUri(),
                    reason);
        }
    }

    /** Whether a handler failure only reflects that the request was aborted or its connection lost. */
    private boolean isAbortSymptom(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof RequestAbortedException) {
                return true;
            }
            if ((aborted || !connection.isOpen()) && (t instanceof InterruptedException
                    || t instanceof InterruptedIOException || t instanceof ClosedByInterruptException)) {
                return true;
            }
        }
        return false;
    }

    private void closeBodyFile() {
        if (bodyFile != null) {
            try {
                bodyFile.close();
            } catch (IOException ignored) {
                // read-only stream: nothing was lost
            }
        }
    }

    /**
     * Aborts the request: inputs fail, writes fail, abort actions run, a running handler is interrupted. Returns
     * whether the request had no handler running, so that the caller must end it now.
     */
    boolean abort(String reason) {
        if (aborted) {
            return false;
        }
        List<Runnable> actions;
        synchronized (abortActions) {
            aborted = true;
            actions = new ArrayList<>(abortActions);
            abortActions.clear();
        }
        IOException cause = new RequestAbortedException("request " + requestId + " aborted: " + reason);
        stdin.fail(cause);
        data.fail(cause);
        for (Runnable action : actions) {
            try {
                action.run();
            } catch (RuntimeException e) {
                logger.warn("request {} on {}: abort action failed", requestId, connection, e);
            }
        }
        if (claimWithoutHandler()) {
            return true;
        }
        synchronized (this) {
            if (handlerThread != null) {
                handlerThread.interrupt();
            }
        }
        return false;
    }

    /**
     * Stops the handler of a request whose response a supervisor ended: reads and writes fail, the thread is
     * interrupted, and a response that was cut short closes its connection once the connection is otherwise idle.
     */
    void terminate(String reason, boolean cutShort) {
        if (abort("terminated: " + reason)) {
            connection.handlerDone(this);   // no handler will run (it was still queued): free the request now
        }
        connection.wakeWriters();
        if (cutShort) {
            connection.closeWhenIdle();
        }
    }

    /** Marks END_REQUEST as sent (or the connection as gone); false when it already was. */
    boolean markEnded() {
        if (ended) {
            return false;
        }
        ended = true;
        return true;
    }

    boolean isEnded() {
        return ended;
    }

    /** Throws when the response can no longer be written. */
    void checkWritable() throws IOException {
        if (aborted) {
            throw new RequestAbortedException("request " + requestId + " aborted");
        }
        if (!connection.isOpen()) {
            throw new RequestAbortedException("request " + requestId + ": connection " + connection + " closed");
        }
    }

    /** Frees the bodies; called once the request has ended and no handler runs. */
    void release() {
        stdin.release();
        data.release();
        response.discard();
    }

    @Override
    public String toString() {
        return "request " + requestId + " on " + connection;
    }
}
