package dev.fcgi.protocol.gateway;

import dev.fcgi.protocol.FcgiTransport;
import dev.fcgi.protocol.client.FcgiClient;
import dev.fcgi.protocol.client.FcgiClientRequest;
import dev.fcgi.protocol.client.FcgiClientResponse;
import dev.fcgi.protocol.client.FcgiTimeoutException;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * One HTTP request forwarded to the backend, run start to end on a thread of its own (a virtual thread) because
 * every step may block: spooling a chunked body, waiting for the backend's answer, reading its body stream, waiting
 * for the HTTP client to take the response. Nothing here runs on an event loop.
 *
 * <p>Failures map to answers as nginx maps them: the backend unreachable, gone or speaking nonsense is 502, too
 * slow ({@link HttpGateway.Builder#requestTimeout}) is 504, each with a WARN line; a chunked body past the size
 * limit is 413, and a client that stops sending its body is 408 (also when the request timed out while the
 * backend was waiting for body bytes the client had not sent). Once the response has started, a failure closes
 * the connection instead. {@link #abort()} (the HTTP client went away) aborts the FastCGI request and ends the
 * exchange quietly.
 */
final class ProxyExchange implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(HttpGateway.class);

    /** What the exchange forwards. */
    record Forward(HttpRequest request, RequestPath path, ScriptMapper.Target target, SocketAddress local,
                   SocketAddress remote, long contentLength) {
    }

    private final GatewayConfig config;
    private final FcgiClient client;
    private final Forward forward;
    private final BodyPipe body;
    private final ResponseWriter writer;
    private final String line;
    private volatile boolean aborted;
    private volatile CompletableFuture<FcgiClientResponse> sent;

    /**
     * @param body the request body, or null without one; with {@link Forward#contentLength()} -1 it is chunked and
     *             spooled first
     */
    ProxyExchange(GatewayConfig config, FcgiClient client, Forward forward, BodyPipe body, ResponseWriter writer,
                  String line) {
        this.config = config;
        this.client = client;
        this.forward = forward;
        this.body = body;
        this.writer = writer;
        this.line = line;
    }

    @Override
    public void run() {
        FcgiClientResponse response = null;
        BodySpool spool = null;
        try {
            FcgiClientRequest.Builder request = FcgiClientRequest.builder().timeout(config.requestTimeout());
            long length = forward.contentLength();
            if (body != null && length < 0) {
                spool = BodySpool.spool(body, config.bodySpoolThreshold(), config.spoolDirectory());
                length = spool.length();
                if (spool.isOnDisk()) {
                    request.body(spool.openFile(), length);
                } else {
                    request.body(spool.bytes());
                }
            } else if (body != null) {
                request.body(body, length);
            }
            request.params(CgiParams.build(config, forward.request(), forward.path(), forward.target(),
                    forward.local(), forward.remote(), length));
            CompletableFuture<FcgiClientResponse> future = client.send(request.build());
            sent = future;
            if (aborted) {
                cancel(future);
                return;
            }
            response = future.get();
            writer.relay(response, requestComplete());
        } catch (ExecutionException e) {
            failed(e.getCause() == null ? e : e.getCause());
        } catch (CancellationException e) {
            // aborted: the client went away
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failed(e);
        } catch (IOException | RuntimeException e) {
            failed(e);
        } finally {
            if (response != null) {
                logStderr(response);
                response.close();
            }
            if (spool != null) {
                spool.close();
            }
            if (body != null) {
                body.close();
            }
        }
    }

    /**
     * The HTTP client went away: the FastCGI request is aborted (the future cancelled, or the response closed,
     * which sends ABORT_REQUEST or closes the backend connection) and the body pipe released. Any thread;
     * idempotent.
     */
    void abort() {
        aborted = true;
        CompletableFuture<FcgiClientResponse> future = sent;
        if (future != null) {
            cancel(future);
        }
        if (body != null) {
            body.fail(new IOException("the client closed the connection"));
        }
    }

    @Override
    public String toString() {
        return line;
    }

    private static void cancel(CompletableFuture<FcgiClientResponse> future) {
        if (!future.cancel(true)) {
            future.thenAccept(FcgiClientResponse::close);
        }
    }

    private void failed(Throwable cause) {
        if (aborted) {
            return;
        }
        IOException bodyFailure = body == null ? null : body.failure();
        HttpResponseStatus status;
        if (cause instanceof BodyTooLargeException || bodyFailure instanceof BodyTooLargeException) {
            status = HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE;
            log.info("{}: {}", line, (bodyFailure != null ? bodyFailure : cause).getMessage());
        } else if (bodyFailure instanceof SocketTimeoutException
                || (cause instanceof FcgiTimeoutException && body != null && body.isStarved())) {
            status = HttpResponseStatus.REQUEST_TIMEOUT;        // the backend was waiting for the client's body
            log.info("{}: {}", line, bodyFailure != null ? bodyFailure.getMessage()
                    : "the client sent its body too slowly (" + cause.getMessage() + ")");
        } else if (bodyFailure != null) {
            return;                                     // the client went away while sending its body
        } else {
            status = cause instanceof FcgiTimeoutException ? HttpResponseStatus.GATEWAY_TIMEOUT
                    : HttpResponseStatus.BAD_GATEWAY;
            log.warn("{}: {}{} (backend {}: {}: {})", line, status,
                    writer.isStarted() ? " after the response started: closing the connection" : "",
                    FcgiTransport.formatAddress(client.address()), cause.getClass().getSimpleName(),
                    cause.getMessage());
        }
        if (writer.isStarted()) {
            writer.cutShort();
        } else {
            writer.sendError(status, status.code() >= 500 && requestComplete());
        }
    }

    /** Whether the request body (if any) has been read to its end, so that the connection could carry another. */
    private boolean requestComplete() {
        return body == null || body.isEnded();
    }

    private void logStderr(FcgiClientResponse response) {
        String stderr = response.stderr();
        if (!stderr.isBlank()) {
            log.warn("FastCGI sent in stderr: \"{}\" while serving \"{}\"", stderr.strip(), line);
        }
    }
}
