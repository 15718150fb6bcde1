package dev.fcgi.protocol.gateway;

import dev.fcgi.protocol.client.FcgiClientResponse;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;

/**
 * Writes the HTTP response to one request: either a short error of the gateway's own, or the backend's response
 * relayed as it streams in. Relaying runs on a thread that may block (it reads the backend's body stream): before
 * each chunk it waits on the {@link WritabilityGate} until the connection can take more, so a response of any size
 * needs at most one chunk plus the channel's write buffer of memory. Writes go through the channel, which hands
 * them to its event loop in order.
 *
 * <p>The body is sent with the backend's {@code Content-Length} when it gave one, else chunked to an HTTP/1.1
 * client, else (HTTP/1.0) delimited by closing the connection. A response cut short (the backend failed, or sent
 * less than its {@code Content-Length}) never ends as if complete: the connection is closed instead.
 */
final class ResponseWriter {

    private static final Logger log = LoggerFactory.getLogger(HttpGateway.class);
    private static final int CHUNK = 32 * 1024;

    /** Told on the event loop once a response has been written in full (or failed). */
    interface Completion {
        /** @param keepAlive whether the connection may carry another request */
        void responseDone(boolean keepAlive);
    }

    /** What the writer needs to know of the request. */
    record RequestInfo(HttpMethod method, HttpVersion version, String line, boolean keepAlive) {
        boolean isHead() {
            return HttpMethod.HEAD.equals(method);
        }
    }

    private final Channel channel;
    private final WritabilityGate gate;
    private final RequestInfo request;
    private final long writeTimeoutNanos;
    private final Completion completion;
    private volatile boolean started;

    ResponseWriter(Channel channel, WritabilityGate gate, RequestInfo request, long writeTimeoutNanos,
                   Completion completion) {
        this.channel = channel;
        this.gate = gate;
        this.request = request;
        this.writeTimeoutNanos = writeTimeoutNanos;
        this.completion = completion;
    }

    /** Whether a status line has been written: after that, a failure can only close the connection. */
    boolean isStarted() {
        return started;
    }

    /** Closes the connection, so that a response cut short is never taken for a complete one. */
    void cutShort() {
        channel.close();
    }

    /**
     * Sends a short error answer, from any thread; does nothing once a response has started.
     *
     * @param keepAlive whether the connection may carry another request (when the client wants it)
     */
    void sendError(HttpResponseStatus status, boolean keepAlive) {
        if (started) {
            return;
        }
        started = true;
        boolean keep = keepAlive && request.keepAlive();
        channel.writeAndFlush(ResponseHeads.error(status, request.version(), keep))
                .addListener((ChannelFutureListener) f -> completion.responseDone(keep && f.isSuccess()));
    }

    /**
     * Relays the backend's response: head, body, end. Returns when the response has been handed to the channel,
     * or when the HTTP client went away or stopped reading for the write timeout (the connection is then closed).
     *
     * @param requestComplete whether the request body has been read to its end: if not, the response says
     *                        {@code Connection: close}, as the rest of the body will not be drained
     *
     * @throws IOException reading the backend's body failed (after the head was written, the connection has been
     *                     closed), or its head was unusable ({@link ResponseHeads.BadBackendResponseException},
     *                     nothing written)
     */
    void relay(FcgiClientResponse response, boolean requestComplete) throws IOException, InterruptedException {
        HttpResponse head = ResponseHeads.fromBackend(response);
        long contentLength = ResponseHeads.contentLength(head);
        boolean bodyless = request.isHead() || ResponseHeads.isBodyless(head.status());
        boolean chunked = !bodyless && contentLength < 0 && request.version().isKeepAliveDefault();
        boolean keepAlive = request.keepAlive() && requestComplete && (bodyless || chunked || contentLength >= 0);
        if (chunked) {
            head.headers().set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        ResponseHeads.connection(head.headers(), request.version(), keepAlive);
        started = true;
        InputStream body = response.body();
        channel.write(head).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        if (body.available() == 0) {
            channel.flush();                            // the body may take a while: the head goes out now
        }

        long sent = bodyless ? discard(body) : stream(body, contentLength);
        if (sent < 0) {
            return;                                     // the client went away
        }
        if (!bodyless && contentLength >= 0 && sent != contentLength) {
            log.warn("{}: the backend sent {} body bytes but said Content-Length: {}; closing the connection",
                    request.line(), sent, contentLength);
            channel.flush();
            channel.close();
            return;
        }
        channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT)
                .addListener((ChannelFutureListener) f -> completion.responseDone(keepAlive && f.isSuccess()));
    }

    /** Streams the body; returns the bytes read from the backend, or -1 when the client went away. */
    private long stream(InputStream body, long contentLength) throws IOException, InterruptedException {
        long sent = 0;
        for (;;) {
            if (!awaitWritable()) {
                return -1;
            }
            ByteBuf chunk = channel.alloc().heapBuffer(CHUNK);
            int n;
            try {
                n = readSome(body, chunk);
            } catch (IOException | RuntimeException e) {
                chunk.release();
                throw e;
            }
            if (n < 0) {
                chunk.release();
                return sent;
            }
            if (contentLength >= 0 && sent + n > contentLength) {
                chunk.writerIndex(chunk.writerIndex() - (int) (sent + n - contentLength));   // keep what was promised
                sent += n + discard(body);
                if (chunk.isReadable()) {
                    channel.write(new DefaultHttpContent(chunk)).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
                } else {
                    chunk.release();
                }
                return sent;
            }
            sent += n;
            channel.writeAndFlush(new DefaultHttpContent(chunk)).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        }
    }

    /** Blocks for the first bytes, then takes what else has already arrived, up to the chunk's capacity. */
    private static int readSome(InputStream body, ByteBuf chunk) throws IOException {
        int n = chunk.writeBytes(body, chunk.writableBytes());
        if (n <= 0) {
            return n;
        }
        int more;
        while (chunk.isWritable() && (more = Math.min(body.available(), chunk.writableBytes())) > 0) {
            n += chunk.writeBytes(body, more);
        }
        return n;
    }

    /** Reads a body nobody wants (HEAD, 204, 304) to its end, so that the backend ends normally. */
    private static long discard(InputStream body) throws IOException {
        long n = 0;
        byte[] buffer = new byte[8192];
        int r;
        while ((r = body.read(buffer)) >= 0) {
            n += r;
        }
        return n;
    }

    private boolean awaitWritable() throws InterruptedException {
        switch (gate.await(channel, writeTimeoutNanos)) {
            case WRITABLE:
                return true;
            case TIMED_OUT:
                log.info("{}: the client took no response data for {} ms (writeTimeout); closing the connection",
                        request.line(), writeTimeoutNanos / 1_000_000);
                channel.close();
                return false;
            default:
                return false;
        }
    }
}
