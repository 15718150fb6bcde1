package dev.fcgi.protocol.gateway;

import dev.fcgi.protocol.client.FcgiClient;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One HTTP connection of the gateway: takes its requests one at a time and hands each to a {@link ProxyExchange}.
 * Runs on the connection's event loop and never blocks.
 *
 * <p>The connection reads only when asked ({@code autoRead} off, a {@link io.netty.handler.flow.FlowControlHandler}
 * in front handing over one decoded message per {@code read()}; a read that brings no whole message ends with
 * {@code channelReadComplete}, after which the handler asks again if it still {@link #wantsRead() wants} to), so
 * the handler decides how much enters:
 * <ul>
 *   <li>a request body is read while its {@link BodyPipe} is below its high-water mark, and again once the
 *       reader has drained it to half;</li>
 *   <li>once the body is complete, one more read watches the connection while the backend works, so that a client
 *       that closes is noticed and its FastCGI request aborted; a pipelined request read that way waits until the
 *       current response has been written;</li>
 *   <li>between requests the connection waits for the next one up to the keep-alive timeout.</li>
 * </ul>
 * A connection carries another request only when the response allowed keep-alive and its request was read to the
 * end; the rest of an upload the backend did not read is not drained (nginx would discard it): the connection is
 * closed. While an upload is paused (its pipe full), nothing is read: on epoll a client's close is still seen
 * (EPOLLRDHUP), on NIO only at the next read or write.
 */
final class GatewayHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(HttpGateway.class);
    private static final byte[] CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private final GatewayConfig config;
    private final FcgiClient client;
    private final Executor executor;
    private final WritabilityGate gate = new WritabilityGate();
    private ChannelHandlerContext ctx;
    private ScheduledFuture<?> idleTimer;
    private boolean readPending;
    private boolean bodyWanted;
    private HttpRequest pipelined;

    // the request in progress
    private int generation;
    private boolean active;
    private boolean hasBody;
    private boolean requestEnded;
    private boolean responseEnded;
    private boolean tooLarge;
    private long bodyBytes;
    private BodyPipe body;
    private ProxyExchange exchange;

    GatewayHandler(GatewayConfig config, FcgiClient client, Executor executor) {
        this.config = config;
        this.client = client;
        this.executor = executor;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        armIdleTimer();
        read();
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        readPending = false;
        if (msg instanceof HttpRequest request) {
            if (active) {
                pipelined = request;                // answered once the current response is written
            } else {
                onRequest(request);
            }
        } else if (msg instanceof HttpContent content) {
            try {
                onContent(content);
            } finally {
                content.release();
            }
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        readPending = false;                                    // that read is over, message or not
        readIfWanted();
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        gate.signal();
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelIdleTimer();
        gate.signal();
        if (exchange != null) {
            log.debug("{}: the client closed the connection before the response was complete", exchange);
            exchange.abort();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("HTTP connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }

    private void onRequest(HttpRequest request) {
        cancelIdleTimer();
        int gen = ++generation;
        active = true;
        requestEnded = false;
        responseEnded = false;
        tooLarge = false;
        bodyWanted = true;
        bodyBytes = 0;
        body = null;
        exchange = null;
        String line = line(request);
        ResponseWriter writer = new ResponseWriter(ctx.channel(), gate,
                new ResponseWriter.RequestInfo(request.method(), request.protocolVersion(), line,
                        HttpUtil.isKeepAlive(request)),
                config.writeTimeout().toNanos(), keepAlive -> responseDone(gen, keepAlive));

        if (request.decoderResult().isFailure()) {
            hasBody = true;                                     // the decoder discards the rest: close after
            reject(writer, statusFor(request.decoderResult().cause()), line,
                    String.valueOf(request.decoderResult().cause()));
            return;
        }
        boolean chunked = HttpUtil.isTransferEncodingChunked(request);
        long length = chunked ? -1 : HttpUtil.getContentLength(request, -1L);
        hasBody = chunked || length > 0;
        String expect = request.headers().get(HttpHeaderNames.EXPECT);
        if (expect != null && !expect.strip().equalsIgnoreCase("100-continue")) {
            reject(writer, HttpResponseStatus.EXPECTATION_FAILED, line, "unsupported Expect header");
            return;
        }
        if (HttpMethod.TRACE.equals(request.method())) {
            reject(writer, HttpResponseStatus.METHOD_NOT_ALLOWED, line, "TRACE is not forwarded");
            return;
        }
        if (length > config.maxRequestBodySize()) {
            reject(writer, HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, line, "Content-Length " + length
                    + " is larger than maxRequestBodySize (" + config.maxRequestBodySize() + ")");
            return;
        }
        RequestPath path;
        ScriptMapper.Target target;
        try {
            path = RequestPath.parse(request.uri());
            target = config.scripts().map(path.path());
        } catch (HttpStatusException e) {
            reject(writer, e.status(), line, e.getMessage());
            return;
        }
        if (HttpUtil.is100ContinueExpected(request) && hasBody) {
            sendContinue();                                     // (an HTTP/1.0 client's Expect is ignored)
        }
        request.headers().remove(HttpHeaderNames.EXPECT);
        if (hasBody) {
            body = new BodyPipe(GatewayConfig.BODY_HIGH_WATER, config.requestTimeout().toNanos(),
                    () -> onEventLoop(() -> bodyDrained(gen)));
        }
        ProxyExchange.Forward forward = new ProxyExchange.Forward(request, path, target,
                ctx.channel().localAddress(), ctx.channel().remoteAddress(), length);
        ProxyExchange started = new ProxyExchange(config, client, forward, body, writer, line);
        try {
            executor.execute(started);
        } catch (RejectedExecutionException e) {
            if (body != null) {
                body.close();
                body = null;
            }
            reject(writer, HttpResponseStatus.SERVICE_UNAVAILABLE, line, "the gateway is closing");
            return;
        }
        exchange = started;
        read();                                                 // the body, or the end of an empty one
    }

    private void onContent(HttpContent content) {
        if (!active) {
            return;
        }
        if (content.decoderResult().isFailure()) {
            log.debug("{}: bad request body: {}", exchange, content.decoderResult().cause().toString());
            ctx.close();
            return;
        }
        boolean last = content instanceof LastHttpContent;
        ByteBuf data = content.content();
        if (body != null && !tooLarge && data.isReadable()) {
            bodyBytes += data.readableBytes();
            if (bodyBytes > config.maxRequestBodySize()) {      // only a chunked body gets here
                tooLarge = true;
                bodyWanted = false;
                body.fail(new BodyTooLargeException(config.maxRequestBodySize()));
                return;                                         // read no more: closed after the 413
            }
            if (!body.offer(data.retain()) && !last) {
                bodyWanted = false;                             // full: bodyDrained() reads again
                return;
            }
        }
        if (tooLarge) {
            return;
        }
        if (last) {
            requestEnded();
        } else {
            readIfWanted();
        }
    }

    private void requestEnded() {
        requestEnded = true;
        if (body != null) {
            body.end();
        }
        if (responseEnded) {
            next();
        } else {
            readIfWanted();                                     // watch for a close while the backend works
        }
    }

    private void bodyDrained(int gen) {
        if (gen == generation && active && !requestEnded && !tooLarge) {
            bodyWanted = true;
            readIfWanted();
        }
    }

    /** The response has been written (or failed); on the event loop. */
    private void responseDone(int gen, boolean keepAlive) {
        if (gen != generation || !active || !ctx.channel().isActive()) {
            return;
        }
        responseEnded = true;
        exchange = null;
        if (!keepAlive || (!requestEnded && hasBody)) {
            ctx.close();
        } else if (requestEnded) {
            next();
        } else {
            readIfWanted();                                     // the end of a body-less request: next() follows
        }
    }

    private void next() {
        active = false;
        body = null;
        exchange = null;
        HttpRequest request = pipelined;
        if (request != null) {
            pipelined = null;
            onRequest(request);
        } else {
            armIdleTimer();
            readIfWanted();
        }
    }

    /** Answers the request without the backend; the connection stays open only when the request had no body. */
    private void reject(ResponseWriter writer, HttpResponseStatus status, String line, String why) {
        log.info("{}: {} ({})", line, status, why);
        bodyWanted = !hasBody;
        readIfWanted();                                         // pull the end of a body-less request first
        writer.sendError(status, !hasBody);
    }

    private void sendContinue() {
        // Written below the codec: HttpServerCodec pairs every response it encodes with a request method, and an
        // interim 100 would shift that pairing for a pipelined HEAD request.
        ChannelHandlerContext codec = ctx.pipeline().context(HttpServerCodec.class);
        codec.writeAndFlush(Unpooled.wrappedBuffer(CONTINUE));
    }

    /**
     * Whether the connection should read now: between requests; during a request while its body is wanted (not
     * paused by a full pipe, not refused); and once it has been read, to watch the connection while the response
     * is produced, until a pipelined request has been read.
     */
    private boolean wantsRead() {
        if (!active) {
            return true;
        }
        if (!requestEnded) {
            return bodyWanted;
        }
        return pipelined == null;
    }

    private void readIfWanted() {
        if (wantsRead()) {
            read();
        }
    }

    private void read() {
        if (!readPending && ctx.channel().isActive()) {
            readPending = true;
            ctx.read();
        }
    }

    /** Runs {@code action} on the connection's event loop, unless it has been shut down (the gateway closed). */
    private void onEventLoop(Runnable action) {
        try {
            ctx.executor().execute(action);
        } catch (RejectedExecutionException e) {
            // the gateway is closing: the connection is being closed too
        }
    }

    private void armIdleTimer() {
        cancelIdleTimer();
        idleTimer = ctx.executor().schedule(() -> {
            if (!active) {
                log.debug("HTTP connection {} idle for {} ms (keepAliveTimeout): closing", ctx.channel().remoteAddress(),
                        config.keepAliveTimeout().toMillis());
                ctx.close();
            }
        }, config.keepAliveTimeout().toNanos(), TimeUnit.NANOSECONDS);
    }

    private void cancelIdleTimer() {
        if (idleTimer != null) {
            idleTimer.cancel(false);
            idleTimer = null;
        }
    }

    private static HttpResponseStatus statusFor(Throwable cause) {
        if (cause instanceof TooLongHttpLineException) {
            return HttpResponseStatus.REQUEST_URI_TOO_LONG;
        }
        if (cause instanceof TooLongHttpHeaderException) {
            return HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE;
        }
        return cause instanceof TooLongFrameException ? HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE
                : HttpResponseStatus.BAD_REQUEST;
    }

    /** The request line for logs, with a long URI cut. */
    private static String line(HttpRequest request) {
        String uri = request.uri();
        if (uri.length() > 256) {
            uri = uri.substring(0, 256) + "...";
        }
        return request.method() + " " + uri + " " + request.protocolVersion();
    }
}
