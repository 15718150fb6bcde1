package dev.fcgi.benchmarks.soak;

import dev.fcgi.protocol.FcgiProtocolStatus;
import dev.fcgi.protocol.client.FcgiClient;
import dev.fcgi.protocol.client.FcgiClientException;
import dev.fcgi.protocol.client.FcgiClientRequest;
import dev.fcgi.protocol.client.FcgiClientResponse;
import dev.fcgi.protocol.client.FcgiConnectException;
import dev.fcgi.protocol.client.FcgiRequestRefusedException;

import java.io.IOException;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Calls straight to the pool's socket with {@link FcgiClient}: kept connections (FCGI_KEEP_CONN), several requests
 * per connection when the server answers FCGI_MPXS_CONNS=1 (it does), bodies sent from memory (so the client may
 * send a request again when a kept connection closes before any answer). The aborts cancel the future while the
 * handler waits, or close the response after its first 64 KiB: the client then sends ABORT_REQUEST, or closes the
 * connection when no other request shares it.
 */
final class ClientRoute implements AutoCloseable {

    /** SCRIPT_FILENAME: the handler does not read it, but a web server always sends one. */
    private static final String SCRIPT = "/srv/soak" + SoakCall.PATH;

    /** How FcgiClient says that a connection closed before any record of a request's answer came. */
    private static final String NO_RECORD = "no response record received";

    private final FcgiClient client;
    private final Duration timeout;

    ClientRoute(SocketAddress address, int maxConnections, Duration timeout) {
        this.timeout = timeout;
        this.client = FcgiClient.builder().address(address).maxConnections(maxConnections).requestTimeout(timeout)
                .build();
    }

    /**
     * Runs a call of {@code kind}; an exception is the call's failure. A call that aborts while the handler waits
     * is cancelled after {@code abortAfterMillis}.
     */
    Outcome run(SoakCall call, SoakKind kind, int abortAfterMillis)
            throws IOException, InterruptedException, TimeoutException {
        FcgiClientRequest.Builder request = FcgiClientRequest.builder()
                .cgi(call.requestBytes() > 0 ? "POST" : "GET", SCRIPT, call.query())
                .param("HTTP_" + SoakCall.ID_HEADER.toUpperCase(Locale.ROOT).replace('-', '_'),
                        Long.toString(call.id()));
        if (call.requestBytes() > 0) {
            request.param("CONTENT_TYPE", "application/octet-stream")
                    .body(new SoakPayload(SoakPayload.requestSeed(call.id()), call.requestBytes()).toByteArray());
        }
        CompletableFuture<FcgiClientResponse> sent = client.send(request.build());
        if (kind.abort() == SoakKind.Abort.WHILE_WAITING) {
            Thread.sleep(abortAfterMillis);             // the handler waits longer: the cancel comes first
            if (sent.cancel(true)) {
                return Outcome.ABORTED;
            }
        }
        FcgiClientResponse response;
        try {
            response = sent.get(timeout.toMillis() + 5_000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            return failure(call, e.getCause());
        }
        try (response) {
            if (kind.abort() == SoakKind.Abort.WHILE_WAITING) {
                return Outcome.failed("answered before the abort", "id " + call.id() + " waits "
                        + call.sleepMillis() + " ms");
            }
            if (kind.abort() == SoakKind.Abort.WHILE_READING) {
                if (!Long.toString(call.id()).equals(response.header(SoakCall.ID_HEADER))) {
                    return Outcome.failed("crossed answer: another request's id", "sent " + call.id()
                            + ", answer for " + response.header(SoakCall.ID_HEADER));
                }
                response.body().readNBytes(SoakKind.Abort.READ_BEFORE_ABORT);
                return Outcome.ABORTED;                 // closing the response with 16 MiB unread aborts it
            }
            Outcome outcome = AnswerCheck.check(call, response.status(), response::header, response.body());
            if (outcome.type() == Outcome.Type.OK && response.protocolStatus() != FcgiProtocolStatus.REQUEST_COMPLETE) {
                return Outcome.failed("END_REQUEST " + response.protocolStatus() + " after a complete answer",
                        "id " + call.id());
            }
            return outcome;
        }
    }

    private static Outcome failure(SoakCall call, Throwable cause) {
        if (cause instanceof FcgiRequestRefusedException refused
                && refused.protocolStatus() == FcgiProtocolStatus.OVERLOADED) {
            return Outcome.refusal("FCGI_OVERLOADED", "id " + call.id() + ": " + cause.getMessage());
        }
        if (cause instanceof FcgiConnectException) {
            return Outcome.refusal("connection refused", "id " + call.id() + ": " + cause.getMessage());
        }
        if (cause instanceof FcgiClientException && cause.getMessage() != null
                && cause.getMessage().contains(NO_RECORD)) {
            // the server closed the connection before it read the request, or before it answered it: which one,
            // the handler's totals tell (a request a handler ran is counted there)
            return Outcome.refusal("connection closed before any answer", "id " + call.id() + ": "
                    + cause.getMessage());
        }
        return Outcome.failed(cause);
    }

    @Override
    public void close() {
        client.close();
    }
}
