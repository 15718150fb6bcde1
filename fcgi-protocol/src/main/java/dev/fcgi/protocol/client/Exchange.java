package dev.fcgi.protocol.client;

import dev.fcgi.protocol.FcgiEndRequest;
import io.netty.util.Timeout;

import java.io.IOException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One {@link FcgiClient#send} call, from the caller's future to the END_REQUEST, across its attempts (a retry after
 * FCGI_OVERLOADED or a lost reused connection is a new {@link Attempt}, maybe on another connection).
 *
 * <p>Thread confinement: {@link #connection} is guarded by the pool's lock; {@link #attempt}, {@link #refusals}
 * and {@link #closeRetried} are touched only on the event loop of the connection the exchange is bound to. The
 * outcome ({@link #succeeded}, {@link #fail}) happens once, from any thread, and user-visible futures complete on
 * the client's callback executor (virtual threads unless the builder was given another executor).
 */
final class Exchange {

    final FcgiClient client;
    final FcgiClientRequest request;
    private final CompletableFuture<FcgiClientResponse> future = new CompletableFuture<>();
    private final AtomicBoolean finished = new AtomicBoolean();
    private final AtomicReference<Throwable> interruptCause = new AtomicReference<>();
    private volatile Timeout timer;
    private volatile FcgiClientResponse response;
    /** What the exchange is doing, for timeout messages. */
    volatile String phase = "waiting for the multiplexing probe";

    /** The connection the exchange is bound to, or null. Guarded by the pool's lock. */
    ClientConnection connection;
    /** The current attempt, written on the event loop of its connection. */
    volatile Attempt attempt;
    /** How many FCGI_OVERLOADED / FCGI_CANT_MPX_CONN refusals were retried. */
    int refusals;
    /** Whether the request was already retried after a reused connection closed under it. */
    boolean closeRetried;
    /** How often the exchange was bound to a connection that closed before it could start. */
    int rebinds;

    Exchange(FcgiClient client, FcgiClientRequest request) {
        this.client = client;
        this.request = request;
        future.whenComplete((r, e) -> {
            if (e instanceof CancellationException) {
                interrupt(new FcgiClientException("request cancelled by the caller", e));
            }
        });
    }

    CompletableFuture<FcgiClientResponse> future() {
        return future;
    }

    /** Starts the request timeout. */
    void startTimer() {
        long nanos = request.timeout() == null ? client.requestTimeoutNanos : saturatedNanos(request.timeout());
        timer = RequestTimeouts.TIMER.newTimeout(ignored -> interrupt(new FcgiTimeoutException(
                "request timed out after " + TimeUnit.NANOSECONDS.toMillis(nanos) + " ms ("
                        + (request.timeout() == null ? "requestTimeout" : "the request's timeout") + ") while "
                        + phase + "; the request was aborted")), nanos, TimeUnit.NANOSECONDS);
    }

    private static long saturatedNanos(java.time.Duration duration) {
        try {
            return duration.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    /** The reason the exchange was interrupted (timeout, cancel, early close), or null. */
    Throwable interruptCause() {
        return interruptCause.get();
    }

    boolean isFinished() {
        return finished.get();
    }

    /**
     * Interrupts the exchange from any thread: a waiting exchange fails at once; a bound one is failed and aborted
     * on its connection's event loop. Only the first call counts.
     */
    void interrupt(Throwable cause) {
        if (!interruptCause.compareAndSet(null, cause)) {
            return;
        }
        ClientConnection bound = client.pool.boundConnection(this);
        if (bound == null) {
            fail(cause);
            return;
        }
        try {
            bound.eventLoop.execute(() -> bound.interrupt(this));
        } catch (RejectedExecutionException e) {    // its loop is gone (a group shut down before the client)
            fail(cause);
        }
    }

    /** Hands the response (its headers parsed) to the caller. */
    void delivered(FcgiClientResponse delivered) {
        response = delivered;
        callback(() -> {
            if (!future.complete(delivered)) {
                delivered.close();
            }
        });
    }

    /** The response ended with END_REQUEST. */
    void succeeded(FcgiEndRequest end) {
        if (!finished.compareAndSet(false, true)) {
            return;
        }
        cancelTimer();
        FcgiClientResponse r = response;
        r.ended(end);
        callback(() -> r.endFuture().complete(end));
    }

    /** The exchange failed: the caller's future (or, once delivered, the body and end()) fail with {@code cause}. */
    void fail(Throwable cause) {
        if (!finished.compareAndSet(false, true)) {
            return;
        }
        cancelTimer();
        if (!request.isReplayable()) {
            callback(request::closeStreams);
        }
        FcgiClientResponse r = response;
        if (r == null) {
            callback(() -> future.completeExceptionally(cause));
            return;
        }
        IOException io = cause instanceof IOException e ? e : new FcgiClientException(String.valueOf(cause), cause);
        r.bodyStream().fail(io);
        callback(() -> r.endFuture().completeExceptionally(cause));
    }

    private void cancelTimer() {
        Timeout t = timer;
        if (t != null) {
            t.cancel();
        }
    }

    private void callback(Runnable action) {
        Executor executor = client.completions;
        try {
            executor.execute(action);
        } catch (RejectedExecutionException e) {
            action.run();
        }
    }

    @Override
    public String toString() {
        return "Exchange(" + request + ", " + phase + ')';
    }
}
