package dev.fcgi.protocol.server;

import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Decides where and when a request's handler runs: the seam between the server and a worker pool such as
 * {@code dev.fcgi.pool.FcgiPool}. The server calls it once per request, on the connection's event loop, when the
 * PARAMS stream has ended; it must not block.
 */
@FunctionalInterface
public interface FcgiDispatcher {

    /**
     * Runs {@code job}, now or later, on a thread of the dispatcher's choice. The job calls the handler and ends the
     * response; it must run exactly once.
     *
     * @param request the request, for routing and bookkeeping (its body may still be arriving)
     * @param job     runs the handler for {@code request}
     * @throws RejectedExecutionException to refuse the request: it ends with FCGI_OVERLOADED
     */
    void dispatch(FcgiRequest request, Runnable job);

    /** A dispatcher that hands every job to {@code executor}. */
    static FcgiDispatcher of(Executor executor) {
        return (request, job) -> executor.execute(job);
    }
}
