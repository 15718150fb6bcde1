package dev.fcgi.protocol.client;

import dev.fcgi.protocol.FcgiAbortRequest;
import dev.fcgi.protocol.FcgiBeginRequest;
import dev.fcgi.protocol.FcgiData;
import dev.fcgi.protocol.FcgiEndRequest;
import dev.fcgi.protocol.FcgiNameValuePairs;
import dev.fcgi.protocol.FcgiParameters;
import dev.fcgi.protocol.FcgiParams;
import dev.fcgi.protocol.FcgiProtocolStatus;
import dev.fcgi.protocol.FcgiRecord;
import dev.fcgi.protocol.FcgiRecordDecoder;
import dev.fcgi.protocol.FcgiRecordEncoder;
import dev.fcgi.protocol.FcgiRole;
import dev.fcgi.protocol.FcgiStderr;
import dev.fcgi.protocol.FcgiStdin;
import dev.fcgi.protocol.FcgiStdout;
import dev.fcgi.protocol.FcgiStreamRecord;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.DecoderException;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.collection.IntObjectHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiFunction;
import java.util.function.IntFunction;

/**
 * One connection to the application and the handler at the end of its pipeline ({@link FcgiRecordDecoder},
 * {@link FcgiRecordEncoder}, this). It sends requests (BEGIN_REQUEST, PARAMS, the empty PARAMS, STDIN, the empty
 * STDIN, and DATA for FILTER), routes the records it receives to their {@link Attempt} by request id, and tells the
 * {@link ConnectionPool} when a request's slot is free again: after END_REQUEST has been read and the request's
 * input streams are written.
 *
 * <p>Everything but {@link #connect()}, the pool's fields and the body pump runs on {@link #eventLoop}. A record
 * for an id with no request in progress, or a framing error, fails the connection's requests and closes it;
 * record types an application should not send are logged and ignored.
 */
final class ClientConnection extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(ClientConnection.class);

    final FcgiClient client;
    final ConnectionPool pool;
    final EventLoop eventLoop;
    final int serial;

    // Guarded by the pool's lock.
    int capacity;
    int inFlight;
    boolean retired;
    boolean dead;

    private volatile Channel channel;
    private boolean active;
    private boolean closed;
    private FcgiClientException closeCause;
    private FcgiConnectException connectFailure;
    /** The client closed the connection on purpose: requests on it are not retried. */
    private boolean closingByClient;
    /**
     * The application refused a request here (FCGI_OVERLOADED): this connection takes no new request and closes once
     * its requests have ended, so that retries go to another one (an application that is closing the connection, or
     * draining it in a graceful stop, refuses every new request on it).
     */
    private boolean retiring;
    private final IntObjectHashMap<Attempt> attempts = new IntObjectHashMap<>();
    private final BitSet ids = new BitSet();
    private final List<Exchange> pending = new ArrayList<>(1);
    private int started;
    private int paused;

    private final ReentrantLock writeLock = new ReentrantLock();
    private final Condition writable = writeLock.newCondition();
    private volatile int writabilityWaits;
    private volatile int pumpsWaiting;

    ClientConnection(FcgiClient client, ConnectionPool pool, EventLoop eventLoop, int capacity, int serial) {
        this.client = client;
        this.pool = pool;
        this.eventLoop = eventLoop;
        this.capacity = capacity;
        this.serial = serial;
    }

    /** Whether the pool may bind another exchange here. Called under the pool's lock. */
    boolean acceptsMore() {
        return !retired && !dead && inFlight < capacity;
    }

    /** Dials; called once, by the pool, outside its lock. */
    void connect() {
        var future = client.transport.bootstrap(eventLoop, client.connectTimeoutMillis)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new FcgiRecordDecoder(), FcgiRecordEncoder.INSTANCE, ClientConnection.this);
                    }
                })
                .connect(client.transport.remote());
        channel = future.channel();
        future.addListener((ChannelFutureListener) f -> {
            if (f.isSuccess()) {
                connected();
            } else {
                connectFailed(f.cause());
            }
        });
    }

    private void connected() {
        log.debug("{}: connected", this);
        active = true;
        List<Exchange> waiting = new ArrayList<>(pending);
        pending.clear();
        for (Exchange ex : waiting) {
            begin(ex);
        }
    }

    private void connectFailed(Throwable cause) {
        closed = true;
        FcgiConnectException failure = new FcgiConnectException("cannot connect to " + client.address + ": " + cause,
                cause);
        connectFailure = failure;
        log.debug("{}: {}", this, failure.getMessage());
        List<Exchange> waiting = new ArrayList<>(pending);
        pending.clear();
        pool.removed(this, List.of());
        for (Exchange ex : waiting) {
            ex.fail(failure);
        }
    }

    /** Starts an exchange the pool bound here: sends it now, or once connected. */
    void start(Exchange ex) {
        if (closed || closingByClient) {
            if (connectFailure != null) {
                pool.release(this, ex, false);
                ex.fail(connectFailure);
            } else if (++ex.rebinds > FcgiClient.MAX_REFUSAL_RETRIES) {
                pool.release(this, ex, false);
                ex.fail(new FcgiClientException("connections to " + client.address
                        + " keep closing before the request can be sent"));
            } else {
                // Closed, or being closed by this client (to stop its only request), between binding and starting:
                // nothing was sent, so bind it again elsewhere. A connection still closing is retired first, so
                // that the pool does not bind the request to it again.
                if (!closed) {
                    pool.release(this, ex, false);
                }
                pool.rebind(ex);
            }
            return;
        }
        if (!active) {
            ex.phase = "connecting to " + client.address;
            pending.add(ex);
            return;
        }
        begin(ex);
    }

    private void begin(Exchange ex) {
        Throwable interrupted = ex.interruptCause();
        if (interrupted != null) {
            pool.release(this, ex, true);
            ex.fail(interrupted);
            return;
        }
        int id = ids.nextClearBit(1);
        Attempt a = new Attempt(ex, this, id, started++ > 0, client.maxResponseHeaderLength);
        ids.set(id);
        attempts.put(id, a);
        ex.attempt = a;
        ex.phase = "sending request id " + id + " on " + this;
        writeRequest(a);
        if (!a.ended && !a.failed) {
            ex.phase = "waiting for the CGI response headers of request id " + id + " on " + this;
        }
    }

    // ---- sending ------------------------------------------------------------------------------------------------

    private void writeRequest(Attempt a) {
        Channel ch = channel;
        FcgiClientRequest request = a.exchange.request;
        int id = a.id;
        ch.write(new FcgiBeginRequest(id, request.role(), client.keepConn));
        FcgiParameters params = request.paramsUnsafe();
        if (!params.isEmpty()) {
            ByteBuf content = ch.alloc().buffer(params.encodedLength());
            FcgiNameValuePairs.encode(content, params);
            ch.write(new FcgiParams(id, content));
        }
        ch.write(FcgiParams.endOfStream(id));
        boolean filter = request.role() == FcgiRole.FILTER;
        if (request.body() instanceof RequestBody.Bytes body
                && (!filter || request.data() instanceof RequestBody.Bytes)) {
            writeBytes(ch, id, body.bytes(), FcgiStdin::new);
            ch.write(FcgiStdin.endOfStream(id));
            if (filter) {
                writeBytes(ch, id, ((RequestBody.Bytes) request.data()).bytes(), FcgiData::new);
                ch.write(FcgiData.endOfStream(id));
            }
            ch.flush();
            return;
        }
        ch.flush();
        a.writerDone = false;
        try {
            client.callbacks.execute(() -> pump(a));
        } catch (RejectedExecutionException e) {
            a.writerDone = true;
            failAttempt(a, new FcgiClientException("client closed", e));
        }
    }

    private static void writeBytes(Channel ch, int id, byte[] bytes,
                                   BiFunction<Integer, ByteBuf, FcgiStreamRecord> record) {
        if (bytes.length > 0) {
            ch.write(record.apply(id, Unpooled.wrappedBuffer(bytes)));
        }
    }

    /** Runs on a callback thread: streams the body (and a FILTER's data) at the pace the connection takes it. */
    private void pump(Attempt a) {
        Throwable failure = null;
        try {
            FcgiClientRequest request = a.exchange.request;
            pumpStream(a, request.body(), id -> new FcgiStdin(id, Unpooled.EMPTY_BUFFER), FcgiStdin::new);
            if (request.role() == FcgiRole.FILTER) {
                pumpStream(a, request.data(), id -> new FcgiData(id, Unpooled.EMPTY_BUFFER), FcgiData::new);
            }
        } catch (IOException | RuntimeException e) {
            failure = e;
        } finally {
            Throwable f = failure;
            try {
                eventLoop.execute(() -> writerDone(a, f));
            } catch (RejectedExecutionException e) {
                // the client was closed while the pump ran: closing failed the exchange already
            }
        }
    }

    private void pumpStream(Attempt a, RequestBody body, IntFunction<FcgiStreamRecord> end,
                            BiFunction<Integer, ByteBuf, FcgiStreamRecord> record) throws IOException {
        Channel ch = channel;
        if (body instanceof RequestBody.Bytes bytes) {
            if (bytes.bytes().length > 0 && awaitWritable(a)) {
                ch.write(record.apply(a.id, Unpooled.wrappedBuffer(bytes.bytes())));
            }
        } else {
            try (InputStream in = body.open()) {
                for (;;) {
                    if (!awaitWritable(a)) {
                        return;
                    }
                    ByteBuf chunk = ch.alloc().buffer(FcgiClient.CHUNK_SIZE);
                    int n;
                    try {
                        n = chunk.writeBytes(in, FcgiClient.CHUNK_SIZE);
                    } catch (IOException | RuntimeException e) {
                        chunk.release();
                        throw e;
                    }
                    if (n < 0 || a.stopWriting) {
                        chunk.release();
                        if (n < 0) {
                            break;
                        }
                        return;
                    }
                    if (n == 0) {
                        chunk.release();
                        continue;
                    }
                    ch.writeAndFlush(record.apply(a.id, chunk)).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
                }
            }
        }
        if (!a.stopWriting) {
            ch.writeAndFlush(end.apply(a.id)).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        }
    }

    /** Blocks the pump until the channel is writable; false when it should stop instead. */
    private boolean awaitWritable(Attempt a) {
        Channel ch = channel;
        writeLock.lock();
        try {
            while (!ch.isWritable()) {
                if (a.stopWriting || !ch.isActive()) {
                    return false;
                }
                writabilityWaits++;
                pumpsWaiting++;
                try {
                    writable.await();
                } finally {
                    pumpsWaiting--;
                }
            }
            return !a.stopWriting && ch.isActive();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            writeLock.unlock();
        }
    }

    private void signalWriters() {
        writeLock.lock();
        try {
            writable.signalAll();
        } finally {
            writeLock.unlock();
        }
    }

    private void stopWriting(Attempt a) {
        if (!a.stopWriting) {
            a.stopWriting = true;
            signalWriters();
        }
    }

    private void writerDone(Attempt a, Throwable failure) {
        a.writerDone = true;
        if (a.finished) {
            return;
        }
        if (failure != null && !a.stopWriting && !closed) {
            failAttempt(a, new FcgiClientException("cannot read the request body of request id " + a.id + ": "
                    + failure, failure));
        }
        maybeFinish(a);
    }

    // ---- receiving ----------------------------------------------------------------------------------------------

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof FcgiRecord record)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (closed) {
            ReferenceCountUtil.release(record);
            return;
        }
        switch (record) {
            case FcgiStdout stdout -> {
                Attempt a = live(stdout);
                if (a != null) {
                    stdout(a, stdout.content());
                }
            }
            case FcgiStderr stderr -> {
                Attempt a = live(stderr);
                if (a != null) {
                    a.anyRecord = true;
                    if (!a.failed) {
                        a.stderr.append(stderr.content());
                    }
                    stderr.release();
                }
            }
            case FcgiEndRequest end -> {
                Attempt a = attempts.get(end.requestId());
                if (a == null || a.ended) {
                    protocolError("END_REQUEST for request id " + end.requestId()
                            + ", which has no request in progress (no BEGIN_REQUEST was sent with it)", null);
                } else {
                    end(a, end);
                }
            }
            case FcgiStreamRecord other -> {
                log.warn("{}: ignoring unexpected {} record from the application (request id {})", this,
                        other.type(), other.requestId());
                other.release();
            }
            default -> log.warn("{}: ignoring unexpected record from the application: {}", this, record);
        }
    }

    /** The attempt a STDOUT/STDERR record belongs to, or null (record released) after a protocol error. */
    private Attempt live(FcgiStreamRecord record) {
        Attempt a = attempts.get(record.requestId());
        if (a == null || a.ended) {
            record.release();
            protocolError(record.type() + " for request id " + record.requestId()
                    + ", which has no request in progress", null);
            return null;
        }
        return a;
    }

    private void stdout(Attempt a, ByteBuf content) {
        a.anyRecord = true;
        if (a.failed) {
            content.release();
            return;
        }
        if (!content.isReadable()) {
            a.stdoutEnded = true;
            content.release();
            return;
        }
        if (a.stdoutEnded) {
            log.warn("{}: ignoring STDOUT after the end of the stream of request id {}", this, a.id);
            content.release();
            return;
        }
        if (a.response != null) {
            if (a.response.bodyStream().offer(content)) {
                pause(a);
            }
            return;
        }
        CgiResponseParser.Parsed parsed;
        try {
            parsed = a.parser.feed(channel.alloc(), content);
        } catch (FcgiClientException e) {
            failAttempt(a, new FcgiClientException(e.getMessage() + " (request id " + a.id + " from "
                    + client.address + ')', e));
            return;
        } finally {
            content.release();
        }
        if (parsed == null) {
            return;
        }
        a.parser = null;
        ResponseBody body = new ResponseBody(client.responseBufferSize, a);
        a.response = new FcgiClientResponse(a.id, parsed.head(), body, a.stderr);
        a.exchange.phase = "receiving the body of request id " + a.id + " on " + this;
        if (parsed.rest() != null && body.offer(parsed.rest())) {
            pause(a);
        }
        a.exchange.delivered(a.response);
    }

    private void end(Attempt a, FcgiEndRequest end) {
        a.ended = true;
        a.anyRecord = true;
        stopWriting(a);
        resume(a);
        if (a.abortTimer != null) {
            a.abortTimer.cancel(false);
        }
        Runnable outcome = a.failed ? null : outcome(a, end);
        releaseParser(a);
        // Free the slot first, so that a caller who has read the body to its end finds the connection idle.
        maybeFinish(a);
        if (outcome != null) {
            outcome.run();
        }
    }

    /** What END_REQUEST means for the exchange; sets up a retry when the application refused it. */
    private Runnable outcome(Attempt a, FcgiEndRequest end) {
        Exchange ex = a.exchange;
        FcgiProtocolStatus status = end.protocolStatus();
        boolean noOutput = a.response == null && (a.parser == null || a.parser.length() == 0);
        if ((status == FcgiProtocolStatus.CANT_MPX_CONN || status == FcgiProtocolStatus.OVERLOADED) && noOutput) {
            return refused(a, status);
        }
        if (status == FcgiProtocolStatus.UNKNOWN_ROLE && a.response == null) {
            FcgiRequestRefusedException e = new FcgiRequestRefusedException("the application at " + client.address
                    + " does not play role " + ex.request.role() + " (END_REQUEST with FCGI_UNKNOWN_ROLE)"
                    + a.stderr.excerpt(), status);
            return () -> ex.fail(e);
        }
        if (a.response == null) {
            FcgiClientException e = new FcgiClientException("the application at " + client.address
                    + " ended request id " + a.id + " without a complete CGI header block ("
                    + (a.parser == null ? 0 : a.parser.length()) + " bytes of STDOUT, appStatus " + end.appStatus()
                    + ", " + status + ')' + a.stderr.excerpt());
            return () -> ex.fail(e);
        }
        if (status != FcgiProtocolStatus.REQUEST_COMPLETE) {
            log.debug("{}: request id {} ended with {} after its response", this, a.id, status);
        }
        return () -> ex.succeeded(end);
    }

    private Runnable refused(Attempt a, FcgiProtocolStatus status) {
        Exchange ex = a.exchange;
        if (status == FcgiProtocolStatus.CANT_MPX_CONN) {
            pool.cannotMultiplex(this);
        } else if (!retiring) {
            retiring = true;
            pool.retire(this);
        }
        if (ex.request.isReplayable() && ex.refusals < FcgiClient.MAX_REFUSAL_RETRIES) {
            ex.refusals++;
            a.retry = true;
            a.retryDelayNanos = status == FcgiProtocolStatus.OVERLOADED ? FcgiClient.backoffNanos(ex.refusals) : 0;
            log.debug("{}: request id {} refused with {}; retry {} of {} in {} µs", this, a.id, status,
                    ex.refusals, FcgiClient.MAX_REFUSAL_RETRIES, a.retryDelayNanos / 1000);
            return null;
        }
        String why = ex.request.isReplayable()
                ? "after " + (ex.refusals + 1) + " attempts"
                : "and its body (an InputStream) cannot be sent again";
        FcgiRequestRefusedException e = new FcgiRequestRefusedException("the application at " + client.address
                + " refused the request with " + status + ' ' + why, status);
        return () -> ex.fail(e);
    }

    private void maybeFinish(Attempt a) {
        if (!a.ended || !a.writerDone || a.finished) {
            return;
        }
        a.finished = true;
        attempts.remove(a.id);
        ids.clear(a.id);
        Channel ch = channel;
        boolean reusable = client.keepConn && !closed && ch.isActive() && !retiring;
        if (!client.keepConn || (retiring && attempts.isEmpty() && pending.isEmpty())) {
            closingByClient = true;
            ch.close();
        }
        pool.release(this, a.exchange, reusable);
        if (a.retry) {
            client.retry(a.exchange, a.retryDelayNanos);
        }
    }

    // ---- flow control -------------------------------------------------------------------------------------------

    private void pause(Attempt a) {
        if (!a.pausing && !closed) {
            a.pausing = true;
            if (paused++ == 0) {
                log.trace("{}: autoRead off, request id {} has unread body bytes", this, a.id);
                channel.config().setAutoRead(false);
            }
        }
    }

    /** The attempt no longer needs the connection to stop reading. */
    void resume(Attempt a) {
        if (a.pausing) {
            a.pausing = false;
            if (--paused == 0 && !closed) {
                log.trace("{}: autoRead on", this);
                channel.config().setAutoRead(true);
            }
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        signalWriters();
        ctx.fireChannelWritabilityChanged();
    }

    // ---- failures -----------------------------------------------------------------------------------------------

    /** Interrupts an exchange bound here (timeout, cancel, early close of the response). */
    void interrupt(Exchange ex) {
        Throwable cause = ex.interruptCause();
        if (pending.remove(ex)) {
            pool.release(this, ex, true);
            ex.fail(cause);
            return;
        }
        Attempt a = ex.attempt;
        if (a == null || a.connection != this || a.finished || a.ended) {
            ex.fail(cause);
            return;
        }
        failAttempt(a, cause);
    }

    /**
     * Fails the attempt's exchange and stops the request: ABORT_REQUEST when other requests share the connection
     * (the slot is freed at its END_REQUEST), otherwise the connection is closed (spec 70).
     */
    private void failAttempt(Attempt a, Throwable cause) {
        a.exchange.fail(cause);
        if (a.failed || a.ended) {
            return;
        }
        a.failed = true;
        stopWriting(a);
        resume(a);
        releaseParser(a);
        Channel ch = channel;
        if (attempts.size() > 1 && ch.isActive()) {
            a.aborting = true;
            log.debug("{}: aborting request id {}: {}", this, a.id, cause.toString());
            ch.writeAndFlush(new FcgiAbortRequest(a.id)).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
            a.abortTimer = eventLoop.schedule(() -> {
                if (!a.ended && !closed) {
                    String message = "no END_REQUEST for aborted request id " + a.id + " within "
                            + TimeUnit.NANOSECONDS.toMillis(client.abortTimeoutNanos) + " ms (abortTimeout)";
                    log.warn("{}: {}; closing", this, message);
                    closeCause = new FcgiClientException("connection closed by the client: " + message);
                    closingByClient = true;
                    ch.close();
                }
            }, client.abortTimeoutNanos, TimeUnit.NANOSECONDS);
        } else {
            log.debug("{}: closing to stop request id {}: {}", this, a.id, cause.toString());
            closingByClient = true;
            ch.close();
        }
    }

    private void protocolError(String message, Throwable cause) {
        FcgiClientException failure = new FcgiClientException("FastCGI protocol error from " + client.address + ": "
                + message + "; connection closed", cause);
        if (closed) {
            log.debug("{}: {}", this, failure.getMessage());
            return;
        }
        log.warn("{}: {}", this, failure.getMessage());
        closeCause = failure;
        closingByClient = true;
        for (Attempt a : new ArrayList<>(attempts.values())) {
            if (!a.ended && !a.failed) {
                a.failed = true;
                stopWriting(a);
                a.exchange.fail(failure);
            }
        }
        channel.close();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof DecoderException) {
            protocolError(cause.getMessage(), cause);
            return;
        }
        if (!closed) {
            log.debug("{}: I/O error: {}", this, cause.toString());
            closeCause = new FcgiClientException("connection to " + client.address + " failed: " + cause, cause);
        }
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closed = true;
        active = false;
        signalWriters();
        List<Exchange> retries = new ArrayList<>(1);
        for (Attempt a : new ArrayList<>(attempts.values())) {
            a.finished = true;
            stopWriting(a);
            releaseParser(a);
            if (a.abortTimer != null) {
                a.abortTimer.cancel(false);
            }
            Exchange ex = a.exchange;
            if (a.ended) {
                if (a.retry) {
                    retries.add(ex);
                }
                continue;
            }
            if (a.failed) {
                continue;
            }
            if (!closingByClient && a.reused && !a.anyRecord && ex.request.isReplayable() && !ex.closeRetried
                    && ex.interruptCause() == null) {
                // Spec 69: the application closed a kept connection (php-fpm at pm.max_requests) as we reused it.
                ex.closeRetried = true;
                log.debug("{}: closed before any response to reused request id {}; retrying on a new connection",
                        this, a.id);
                retries.add(ex);
                continue;
            }
            String why = closeCause != null ? closeCause.getMessage()
                    : "connection closed by the application";
            ex.fail(new FcgiClientException(why + " before request id " + a.id + " ended ("
                    + (a.response != null ? "while receiving the body" : a.anyRecord
                    ? "inside the CGI header block" : "no response record received") + ", on " + this + ')'
                    + a.stderr.excerpt(), closeCause));
        }
        attempts.clear();
        ids.clear();
        pool.removed(this, retries);
        ctx.fireChannelInactive();
    }

    /** Closes the connection because the client is closing. */
    void closeByClient() {
        if (closed) {
            return;
        }
        closeCause = new FcgiClientException("client closed");
        closingByClient = true;
        for (Attempt a : new ArrayList<>(attempts.values())) {
            if (!a.ended && !a.failed) {
                a.failed = true;
                a.exchange.fail(closeCause);
            }
        }
        List<Exchange> waiting = new ArrayList<>(pending);
        pending.clear();
        for (Exchange ex : waiting) {
            ex.fail(closeCause);
        }
        Channel ch = channel;
        if (ch != null) {
            ch.close();
        }
    }

    private static void releaseParser(Attempt a) {
        if (a.parser != null) {
            a.parser.release();
        }
    }

    Channel channel() {
        return channel;
    }

    /** How often a body pump waited for the channel to become writable (for tests). */
    int writabilityWaits() {
        return writabilityWaits;
    }

    /** How many body pumps are blocked right now waiting for the channel to become writable (for tests). */
    int pumpsWaiting() {
        return pumpsWaiting;
    }

    @Override
    public String toString() {
        Channel ch = channel;
        return "fcgi-connection-" + serial + (ch == null ? "" : "[" + ch.id().asShortText() + ']') + " to "
                + client.address;
    }
}
