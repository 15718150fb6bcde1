package dev.fcgi.protocol.server;

import dev.fcgi.protocol.FcgiAbortRequest;
import dev.fcgi.protocol.FcgiBeginRequest;
import dev.fcgi.protocol.FcgiConstants;
import dev.fcgi.protocol.FcgiData;
import dev.fcgi.protocol.FcgiEndRequest;
import dev.fcgi.protocol.FcgiGetValues;
import dev.fcgi.protocol.FcgiGetValuesResult;
import dev.fcgi.protocol.FcgiParams;
import dev.fcgi.protocol.FcgiParamsException;
import dev.fcgi.protocol.FcgiProtocolException;
import dev.fcgi.protocol.FcgiProtocolStatus;
import dev.fcgi.protocol.FcgiRecord;
import dev.fcgi.protocol.FcgiRole;
import dev.fcgi.protocol.FcgiStderr;
import dev.fcgi.protocol.FcgiStdin;
import dev.fcgi.protocol.FcgiStdout;
import dev.fcgi.protocol.FcgiStreamRecord;
import dev.fcgi.protocol.FcgiTransport;
import dev.fcgi.protocol.FcgiUnknownType;
import dev.fcgi.protocol.FcgiUnrecognizedRecord;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.collection.IntObjectMap;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The application side of one connection: demultiplexes records by request id, answers management records,
 * enforces the limits, runs the handler for each request and ends every accepted request with exactly one
 * END_REQUEST. All state is confined to the channel's event loop, except the writability gate that handler
 * threads wait on.
 *
 * <p>Reactions to bad input: a record that breaks the framing (see {@link dev.fcgi.protocol.FcgiRecordDecoder}) or
 * a BEGIN_REQUEST for an id in use closes the connection with a logged reason; records for an id that is not
 * active, management records with a non-zero id and records only an application sends are ignored (logged at
 * DEBUG); malformed or oversized PARAMS fail that request alone (400 or 431); an unknown role gets
 * FCGI_UNKNOWN_ROLE; a request over a limit gets FCGI_CANT_MPX_CONN or FCGI_OVERLOADED. While the connection is not
 * writable (the web server does not read), it is not read either.
 */
final class FcgiServerHandler extends ChannelInboundHandlerAdapter {

    private static final Logger logger = LoggerFactory.getLogger(FcgiServerHandler.class);

    private final ServerConfig config;
    private final ServerCounters counters;
    private final IntObjectMap<Exchange> exchanges = new IntObjectHashMap<>();
    private final ReentrantLock writabilityLock = new ReentrantLock();
    private final Condition writabilityChanged = writabilityLock.newCondition();
    /** Requests begun in the current read, whose header timers {@link #channelReadComplete} may start. */
    private final List<Exchange> awaitingParams = new ArrayList<>(2);

    private Channel channel;
    private String name;
    private boolean closeWhenIdle;
    /** Set at once by {@link #closeWhenIdle()} on any thread, so that no request begins before the loop closes. */
    private volatile boolean closing;
    private int lingerRequestId = -1;
    /** Whether a request has begun on this connection. */
    private boolean anyRequestBegun;
    /** The server is draining and this connection has begun no request yet: it may begin one, then closes. */
    private boolean drainAfterFirstRequest;
    private ChannelFuture lastEnd;
    /** When the connection last had no request in progress (opened, or its last request ended). */
    private long idleSince;
    private ScheduledFuture<?> idleTimer;

    FcgiServerHandler(ServerConfig config, ServerCounters counters) {
        this.config = config;
        this.counters = counters;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        SocketAddress remote = channel.remoteAddress();
        name = remote == null || FcgiTransport.unixPath(channel.localAddress()) != null
                ? FcgiTransport.formatAddress(channel.localAddress()) + '#' + channel.id().asShortText()
                : FcgiTransport.formatAddress(remote);
        if (counters.draining()) {
            drain();                // accepted just before the server began to drain
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        idleSince = nanoTime();
        scheduleIdleCheck(config.idleTimeout().toNanos());
        ctx.fireChannelActive();
    }

    // ---- inbound records

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof FcgiRecord record)) {
            ctx.fireChannelRead(msg);
            return;
        }
        switch (record) {
            case FcgiBeginRequest begin -> begin(begin);
            case FcgiParams params -> params(params);
            case FcgiStdin stdin -> stdin(stdin);
            case FcgiData data -> data(data);
            case FcgiAbortRequest abort -> abort(abort);
            case FcgiGetValues query -> getValues(query);
            case FcgiUnrecognizedRecord unrecognized -> unrecognized(unrecognized);
            case FcgiStreamRecord stream -> {
                logger.debug("{}: ignoring {} (only an application sends it)", name, stream);
                stream.release();
            }
            default -> logger.debug("{}: ignoring {} (only an application sends it)", name, record);
        }
    }

    private void begin(FcgiBeginRequest begin) {
        int id = begin.requestId();
        if (exchanges.containsKey(id)) {
            throw new FcgiProtocolException("BEGIN_REQUEST for request " + id + ", which is active");
        }
        FcgiRole role = begin.role();
        if (role == null || !config.roles().contains(role)) {
            logger.debug("{}: request {}: role {} not served", name, id, begin.roleCode());
            refuse(id, FcgiProtocolStatus.UNKNOWN_ROLE, begin.keepConn());
            return;
        }
        if (closeWhenIdle || closing) {
            // the connection closes once its requests are done (a response was cut short): it takes no new ones,
            // or a multiplexing client would keep it busy, and open, for ever
            logger.debug("{}: request {} refused with FCGI_OVERLOADED: the connection is closing", name, id);
            refuse(id, FcgiProtocolStatus.OVERLOADED, begin.keepConn());
            return;
        }
        boolean multiplexes = config.requestsPerConnection() > 1;
        if (exchanges.size() >= config.maxRequestsPerConnection() || (!multiplexes && !exchanges.isEmpty())) {
            logger.debug("{}: request {} refused: {} requests in progress on the connection (max requests per"
                    + " connection)", name, id, exchanges.size());
            refuse(id, multiplexes ? FcgiProtocolStatus.OVERLOADED : FcgiProtocolStatus.CANT_MPX_CONN,
                    begin.keepConn());
            return;
        }
        if (!counters.tryAcquireRequest()) {
            if (counters.startsOverloadEpisode()) {
                logger.warn("{}: request {} refused with FCGI_OVERLOADED: {} requests in progress (max concurrent"
                        + " requests); further refusals are logged at DEBUG until a request is accepted again",
                        name, id, config.maxConcurrentRequests());
            } else {
                logger.debug("{}: request {} refused with FCGI_OVERLOADED (max concurrent requests)", name, id);
            }
            refuse(id, FcgiProtocolStatus.OVERLOADED, begin.keepConn());
            return;
        }
        Exchange exchange = new Exchange(this, config, id, role, begin.keepConn());
        exchanges.put(id, exchange);
        anyRequestBegun = true;
        if (drainAfterFirstRequest) {
            closeOnceIdle();            // closes once this request has ended
        }
        awaitingParams.add(exchange);        // its header timer starts at the end of this read, if still needed
    }

    /**
     * Starts the header timeout of the requests begun in this read whose params have not ended yet. A web server
     * sends BEGIN_REQUEST and the params together, so nearly every request needs no timer at all: scheduling one
     * and cancelling it a few microseconds later was a measurable part of a request's cost.
     */
    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        for (int i = 0; i < awaitingParams.size(); i++) {
            Exchange exchange = awaitingParams.get(i);
            if (!exchange.paramsEnded && !exchange.isEnded()) {
                exchange.headerTimer = channel.eventLoop().schedule(() -> headerTimeout(exchange),
                        config.headerTimeout().toNanos(), TimeUnit.NANOSECONDS);
            }
        }
        awaitingParams.clear();
        ctx.fireChannelReadComplete();
    }

    private void refuse(int id, FcgiProtocolStatus status, boolean keepConn) {
        ChannelFuture future = channel.writeAndFlush(new FcgiEndRequest(id, 0, status));
        if (!keepConn) {
            closeAfter(id, false, future);
        }
    }

    private void params(FcgiParams params) {
        try {
            Exchange exchange = exchanges.get(params.requestId());
            if (exchange == null || exchange.paramsEnded) {
                logger.debug("{}: ignoring {} (request not active or its params ended)", name, params);
                return;
            }
            if (!params.isEndOfStream()) {
                exchange.decodeParams(params.content());
                return;
            }
            FcgiParamsException error = exchange.endParams();
            if (error != null) {
                logger.info("{}: request {} answered {}: {}", name, exchange.requestId(), error.httpStatus(),
                        error.getMessage());
                if (exchange.claimWithoutHandler()) {
                    exchange.response().sendError(error.httpStatus(), error.getMessage());
                }
                return;
            }
            if (!config.handlerOnEventLoop()) {
                dispatch(exchange);
            } else {
                runOnEventLoopWhenComplete(exchange);
            }
        } finally {
            params.release();
        }
    }

    private void dispatch(Exchange exchange) {
        if (!exchange.queue()) {
            return;
        }
        try {
            config.dispatcher().dispatch(exchange, () -> exchange.run(config.handler()));
        } catch (RejectedExecutionException e) {
            logger.warn("{}: request {} refused with FCGI_OVERLOADED: {}", name, exchange.requestId(), e.getMessage());
            if (exchange.claimWithoutHandler()) {
                endRefused(exchange, FcgiProtocolStatus.OVERLOADED);
            }
        }
    }

    /**
     * Runs an event-loop handler once the request's input has ended; until then the body read timeout applies to
     * the input itself, since no handler reads it yet.
     */
    private void runOnEventLoopWhenComplete(Exchange exchange) {
        if (!exchange.inputComplete()) {
            if (exchange.bodyTimer == null) {
                exchange.lastInputNanos = nanoTime();
                exchange.bodyTimer = channel.eventLoop().schedule(() -> bodyTimeout(exchange),
                        config.bodyReadTimeout().toNanos(), TimeUnit.NANOSECONDS);
            }
            return;
        }
        if (exchange.queue()) {
            exchange.run(config.handler());
        }
    }

    /** Answers 408 to an event-loop request whose body has not moved for the body read timeout. */
    private void bodyTimeout(Exchange exchange) {
        if (exchange.isEnded() || exchange.inputComplete()) {
            return;
        }
        long left = exchange.lastInputNanos + config.bodyReadTimeout().toNanos() - nanoTime();
        if (left > 0) {
            exchange.bodyTimer = channel.eventLoop().schedule(() -> bodyTimeout(exchange), left, TimeUnit.NANOSECONDS);
            return;
        }
        String reason = "request body: no data for " + config.bodyReadTimeout().toMillis() + " ms (body read timeout)";
        logger.warn("{}: request {} answered 408: {}", name, exchange.requestId(), reason);
        if (exchange.claimWithoutHandler()) {
            exchange.response().sendError(408, reason);
        }
    }

    private void stdin(FcgiStdin stdin) {
        Exchange exchange = exchanges.get(stdin.requestId());
        if (exchange != null && exchange.stdinEnded && !stdin.isEndOfStream()) {
            stdin.release();
            failForInputAfterEnd(exchange, "STDIN");
            return;
        }
        if (exchange == null || exchange.stdinEnded) {
            if (stdin.isEndOfStream() && stdin.requestId() == lingerRequestId) {
                lingerRequestId = -1;
                closeIfIdle();
            } else if (stdin.requestId() != lingerRequestId) {
                logger.debug("{}: ignoring {} (request not active)", name, stdin);
            }
            stdin.release();
            return;
        }
        if (stdin.isEndOfStream()) {
            stdin.release();
            exchange.stdinEnded = true;
            exchange.stdinBody().end();
            if (config.handlerOnEventLoop() && exchange.paramsEnded) {
                runOnEventLoopWhenComplete(exchange);
            }
        } else {
            exchange.inputArrived();
            exchange.stdinBody().offer(stdin.content());
        }
    }

    private void data(FcgiData data) {
        Exchange exchange = exchanges.get(data.requestId());
        if (exchange != null && exchange.role() == FcgiRole.FILTER && exchange.dataEnded && !data.isEndOfStream()) {
            data.release();
            failForInputAfterEnd(exchange, "DATA");
            return;
        }
        if (exchange == null || exchange.dataEnded) {
            logger.debug("{}: ignoring {} (request not active, not FILTER, or its data ended)", name, data);
            data.release();
            return;
        }
        if (data.isEndOfStream()) {
            data.release();
            exchange.dataEnded = true;
            exchange.dataBody().end();
            if (config.handlerOnEventLoop() && exchange.paramsEnded) {
                runOnEventLoopWhenComplete(exchange);
            }
        } else {
            exchange.inputArrived();
            exchange.dataBody().offer(data.content());
        }
    }

    /**
     * Bytes after the end of a request's input stream are the web server's protocol error for that request (spec
     * 31): the request is ended, 400 if its answer has not started, else cut short; other requests go on.
     */
    private void failForInputAfterEnd(Exchange exchange, String stream) {
        String reason = stream + " after the end of " + stream + " (protocol error)";
        logger.warn("{}: request {}: {}; the request is ended", name, exchange.requestId(), reason);
        if (!exchange.claimWithoutHandler()) {
            exchange.response().terminate(400, reason);         // its handler is queued or running
        } else if (exchange.paramsEnded) {
            exchange.response().sendError(400, reason);
        } else {
            end(exchange, null, 1, false, false);               // no STDOUT before the end of PARAMS (spec 30)
        }
    }

    private void abort(FcgiAbortRequest abort) {
        Exchange exchange = exchanges.get(abort.requestId());
        if (exchange == null) {
            logger.debug("{}: ignoring ABORT_REQUEST for request {} (not active)", name, abort.requestId());
            return;
        }
        if (exchange.abort("FCGI_ABORT_REQUEST from the web server")) {
            end(exchange, null, 0, false, false);
        }
        signalWritability();
    }

    private void getValues(FcgiGetValues query) {
        if (query.requestId() != FcgiConstants.NULL_REQUEST_ID) {
            logger.debug("{}: ignoring GET_VALUES with request id {} (expected: 0)", name, query.requestId());
            return;
        }
        Map<String, String> values = new LinkedHashMap<>();
        for (String variable : query.names()) {
            switch (variable) {
                case FcgiConstants.MAX_CONNS -> values.put(variable, Integer.toString(config.maxConnections()));
                // Peers (HAProxy, FcgiClient) read FCGI_MAX_REQS as the limit of one connection, so it is the
                // smaller of the per-connection and the server-wide limit.
                case FcgiConstants.MAX_REQS -> values.put(variable, Integer.toString(config.requestsPerConnection()));
                case FcgiConstants.MPXS_CONNS -> values.put(variable, config.requestsPerConnection() > 1 ? "1" : "0");
                default -> {
                    // unknown variables are left out of the answer
                }
            }
        }
        channel.writeAndFlush(new FcgiGetValuesResult(values));
    }

    private void unrecognized(FcgiUnrecognizedRecord record) {
        if (record.requestId() == FcgiConstants.NULL_REQUEST_ID) {
            channel.writeAndFlush(new FcgiUnknownType(0, record.type()));
        } else {
            logger.debug("{}: ignoring a record of unknown type {} for request {}", name, record.type(),
                    record.requestId());
        }
    }

    private void headerTimeout(Exchange exchange) {
        if (exchange.paramsEnded || exchange.isEnded()) {
            return;
        }
        logger.warn("{}: request {}: params not complete after {} ms (header timeout); ending it and closing the"
                + " connection", name, exchange.requestId(), config.headerTimeout().toMillis());
        // A web server sends the params at once: a peer that trickles them is closed, or it could hold the
        // connection for ever by starting a new request before each idle timeout.
        closeWhenIdle = true;
        if (exchange.claimWithoutHandler()) {
            end(exchange, null, 1, false, false);
        }
        closeIfIdle();
    }

    // ---- ending requests and the connection

    /** Answers a request that will not run with a refusal status. Event loop. */
    private void endRefused(Exchange exchange, FcgiProtocolStatus status) {
        if (!exchange.markEnded()) {
            return;
        }
        detach(exchange);
        ChannelFuture future = channel.writeAndFlush(new FcgiEndRequest(exchange.requestId(), 0, status));
        removeExchange(exchange, future);
    }

    /**
     * Ends a request: its last STDOUT record ({@code null} for none), the end of STDOUT (and of STDERR when used)
     * and END_REQUEST, at most once, in one flush. Any thread; the records written so far by the caller's thread go
     * out before these.
     */
    void end(Exchange exchange, FcgiStdout last, int appStatus, boolean stderrUsed, boolean cutShort) {
        if (!channel.eventLoop().inEventLoop()) {
            if (!runOnEventLoop(() -> end(exchange, last, appStatus, stderrUsed, cutShort), exchange)) {
                ReferenceCountUtil.release(last);
            }
            return;
        }
        if (!exchange.markEnded()) {
            ReferenceCountUtil.release(last);
            if (exchange.isHandlerDone()) {
                exchange.release();                 // ended earlier while the handler still ran
            }
            return;
        }
        detach(exchange);
        if (!exchange.stdinEnded || !exchange.dataEnded) {
            // what is still to come of its input no longer reaches it: a handler reading on (after finish()) or a
            // write waiting for the body must not wait for it until the body read timeout
            IOException gone = new IOException("request " + exchange.requestId()
                    + " has ended before its input did: the rest is not received");
            exchange.stdinBody().fail(gone);
            exchange.dataBody().fail(gone);
        }
        if (last != null) {
            if (channel.isActive()) {
                channel.write(last, channel.voidPromise());
            } else {
                last.release();
            }
        }
        ChannelFuture future = null;
        if (cutShort) {
            // a response cut short gets no end records: the connection closes (once no other request uses it), so
            // that the web server reports the answer as failed instead of passing on a truncated one as complete
            closeWhenIdle();
        } else if (channel.isActive()) {
            int id = exchange.requestId();
            if (exchange.paramsEnded) {
                channel.write(FcgiStdout.endOfStream(id), channel.voidPromise());
                if (stderrUsed) {
                    channel.write(FcgiStderr.endOfStream(id), channel.voidPromise());
                }
            }
            future = channel.writeAndFlush(new FcgiEndRequest(id, appStatus, FcgiProtocolStatus.REQUEST_COMPLETE));
        }
        removeExchange(exchange, future);
    }

    /** Forgets an ending request before its last records go out, so that its id and slot are free at once. */
    private void detach(Exchange exchange) {
        int id = exchange.requestId();
        if (exchanges.get(id) == exchange) {
            exchanges.remove(id);
            counters.releaseRequest();
            if (exchanges.isEmpty()) {
                idleSince = nanoTime();
            }
        }
    }

    private void removeExchange(Exchange exchange, ChannelFuture endWritten) {
        int id = exchange.requestId();
        if (exchange.headerTimer != null) {
            exchange.headerTimer.cancel(false);
        }
        if (exchange.bodyTimer != null) {
            exchange.bodyTimer.cancel(false);
        }
        if (exchange.isHandlerDone()) {
            exchange.release();
        }
        if (!exchange.keepConn()) {
            closeAfter(id, exchange.stdinEnded, endWritten);
        } else if (endWritten != null) {
            lastEnd = endWritten;
        }
        closeIfIdle();      // a connection marked to close when idle closes after its last request
    }

    /**
     * Called when a handler returned after its response had ended; frees the request once it has ended. Any
     * thread.
     */
    void handlerDone(Exchange exchange) {
        runOnEventLoop(() -> {
            if (exchange.isEnded()) {
                exchange.release();
            }
        }, exchange);
    }

    /**
     * Runs a task on the connection's event loop. Once the loop has shut down (the server closed) the connection
     * is gone, so the request is only marked ended and freed, and this returns false.
     */
    private boolean runOnEventLoop(Runnable task, Exchange exchange) {
        try {
            channel.eventLoop().execute(task);
            return true;
        } catch (RejectedExecutionException e) {
            logger.debug("{}: {} ended after its event loop shut down", name, exchange);
            exchange.markEnded();
            exchange.release();
            return false;
        }
    }

    /** Runs a task on the connection's event loop, unless the loop has shut down with the server. */
    private void runOnEventLoop(Runnable task) {
        try {
            channel.eventLoop().execute(task);
        } catch (RejectedExecutionException e) {
            logger.debug("{}: event loop gone; connection closed with the server", name);
        }
    }

    /**
     * Closes the connection once its requests have ended, after the web server has sent the rest of request
     * {@code id}'s body (or the linger timeout passed), so that it gets no reset while still writing.
     */
    private void closeAfter(int id, boolean stdinEnded, ChannelFuture endWritten) {
        closeWhenIdle = true;
        lastEnd = endWritten;
        if (!stdinEnded && channel.isActive()) {
            lingerRequestId = id;
            ScheduledFuture<?> ignored = channel.eventLoop().schedule(() -> {
                if (lingerRequestId == id) {
                    lingerRequestId = -1;
                    closeIfIdle();
                }
            }, config.lingerTimeout().toNanos(), TimeUnit.NANOSECONDS);
        }
        closeIfIdle();
    }

    private void closeIfIdle() {
        if (!closeWhenIdle || !exchanges.isEmpty() || lingerRequestId >= 0) {
            return;
        }
        if (lastEnd != null && !lastEnd.isDone()) {
            lastEnd.addListener(ChannelFutureListener.CLOSE);
        } else {
            channel.close();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        awaitingParams.clear();
        if (idleTimer != null) {
            idleTimer.cancel(false);
        }
        List<Exchange> active = new ArrayList<>(exchanges.values());
        for (Exchange exchange : active) {
            if (exchange.abort("connection closed by the web server")) {
                end(exchange, null, 0, false, false);
            }
        }
        signalWritability();
        ctx.fireChannelInactive();
    }

    /**
     * Closes the connection once it has had no request in progress for the idle timeout. Bytes that arrive
     * meanwhile do not count: a peer that trickles a record header, or anything short of a BEGIN_REQUEST, is closed
     * as if silent.
     */
    private void checkIdle() {
        if (!channel.isActive()) {
            return;
        }
        long timeout = config.idleTimeout().toNanos();
        long idleFor = exchanges.isEmpty() ? nanoTime() - idleSince : 0;
        if (idleFor >= timeout) {
            logger.debug("{}: closing after {} ms without a request (idle timeout)", name,
                    config.idleTimeout().toMillis());
            channel.close();
            return;
        }
        scheduleIdleCheck(timeout - idleFor);
    }

    private void scheduleIdleCheck(long delayNanos) {
        idleTimer = channel.eventLoop().schedule(this::checkIdle, delayNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof FcgiProtocolException) {
            logger.warn("{}: closing the connection: {}", name, cause.getMessage());
        } else if (cause instanceof IOException) {
            logger.debug("{}: closing the connection: {}", name, cause.toString());
        } else {
            logger.warn("{}: closing the connection after an unexpected error", name, cause);
        }
        ctx.close();
    }

    // ---- used by handler threads

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        // A web server that does not read its answers is not read either: whatever it sends that the server
        // answers by itself (refused BEGIN_REQUESTs, GET_VALUES, unknown types, requests that end at once) would
        // otherwise queue answers in memory without bound.
        ctx.channel().config().setAutoRead(ctx.channel().isWritable());
        signalWritability();
        ctx.fireChannelWritabilityChanged();
    }

    /** The event loop's clock, which the timers scheduled on it also follow. Event loop. */
    long nanoTime() {
        return channel.eventLoop().ticker().nanoTime();
    }

    /** Wakes handler threads waiting for writability, so that they see an abort. Any thread. */
    void wakeWriters() {
        signalWritability();
    }

    /** Closes the connection once no request uses it (a response was cut short). Any thread. */
    void closeWhenIdle() {
        closing = true;
        runOnEventLoop(this::closeOnceIdle);
    }

    /** Takes no new request, and closes once no request uses the connection. Event loop. */
    private void closeOnceIdle() {
        closing = true;
        closeWhenIdle = true;
        closeIfIdle();
    }

    /**
     * The server is draining. A connection that has begun requests closes once they have ended (a web server
     * retries a request that meets a kept connection closing). A connection that has begun none was opened to send
     * one, maybe already on its way: it may begin that one within the header timeout, and closes after it. Any
     * thread.
     */
    void drain() {
        runOnEventLoop(() -> {
            if (anyRequestBegun) {
                closeOnceIdle();
                return;
            }
            drainAfterFirstRequest = true;
            ScheduledFuture<?> ignored = channel.eventLoop().schedule(() -> {
                if (!anyRequestBegun) {
                    logger.debug("{}: closing: no request began within the header timeout of a graceful stop",
                            name);
                    closeOnceIdle();
                }
            }, config.headerTimeout().toNanos(), TimeUnit.NANOSECONDS);
        });
    }

    private void signalWritability() {
        writabilityLock.lock();
        try {
            writabilityChanged.signalAll();
        } finally {
            writabilityLock.unlock();
        }
    }

    /**
     * Waits until the connection takes more data, so that a response never piles up in memory. Returns at once
     * on the event loop (a handler there must not block) and when the connection is writable. When the write
     * timeout passes the response is cut short, as by {@link ServerResponse#terminate}: the web server stopped
     * reading, and an END_REQUEST queued behind what it has not read would pass a truncated answer off as complete
     * should it read on.
     *
     * @throws IOException when the request is aborted, the connection closes, or the write timeout passes
     */
    void awaitWritable(Exchange exchange) throws IOException {
        if (channel.isWritable()) {
            return;
        }
        if (channel.eventLoop().inEventLoop()) {
            checkEventLoopBacklog(exchange);
            return;
        }
        long timeout = config.writeTimeout().toNanos();
        long deadline = System.nanoTime() + timeout;
        boolean timedOut = false;
        writabilityLock.lock();
        try {
            while (!channel.isWritable()) {
                exchange.checkWritable();
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    timedOut = true;
                    break;
                }
                writabilityChanged.awaitNanos(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("response to " + exchange + ": interrupted");
        } finally {
            writabilityLock.unlock();
        }
        if (timedOut) {
            String reason = "the web server took no data for " + TimeUnit.NANOSECONDS.toMillis(timeout)
                    + " ms (write timeout)";
            logger.warn("{}: request {}: {}; the response is cut short", name, exchange.requestId(), reason);
            exchange.response().terminate(504, reason);
            throw new RequestAbortedException("response to " + exchange + ": " + reason);
        }
    }

    /**
     * A handler on the event loop cannot wait for the web server to read: past {@code eventLoopWriteLimit} bytes
     * queued on the connection its response is cut short, so that a large answer to a slow reader cannot take the
     * heap.
     */
    private void checkEventLoopBacklog(Exchange exchange) throws IOException {
        ChannelOutboundBuffer outbound = channel.unsafe().outboundBuffer();
        long queued = outbound == null ? 0 : outbound.totalPendingWriteBytes();
        if (queued <= config.eventLoopWriteLimit()) {
            return;
        }
        String reason = queued + " bytes of the response wait for the web server, more than the event-loop write"
                + " limit of " + config.eventLoopWriteLimit() + " (a handler on the event loop cannot wait; large"
                + " answers to slow readers belong on a worker)";
        logger.warn("{}: request {}: {}; the response is cut short", name, exchange.requestId(), reason);
        exchange.response().terminate(500, reason);
        throw new RequestAbortedException("response to " + exchange + ": " + reason);
    }

    void write(FcgiRecord record, boolean flush) {
        if (flush) {
            channel.writeAndFlush(record, channel.voidPromise());
        } else {
            channel.write(record, channel.voidPromise());
        }
    }

    /** Runs {@code task} on this connection's event loop after {@code delayNanos}. */
    ScheduledFuture<?> schedule(Runnable task, long delayNanos) {
        return channel.eventLoop().schedule(task, delayNanos, TimeUnit.NANOSECONDS);
    }

    /** Whether the caller runs on this connection's event loop. */
    boolean inEventLoop() {
        return channel.eventLoop().inEventLoop();
    }

    boolean isOpen() {
        return channel.isActive();
    }

    ByteBufAllocator alloc() {
        return channel.alloc();
    }

    SocketAddress peerAddress() {
        return channel.remoteAddress();
    }

    @Override
    public String toString() {
        return name;
    }
}
