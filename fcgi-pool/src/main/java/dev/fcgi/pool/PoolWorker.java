package dev.fcgi.pool;

import dev.fcgi.protocol.server.FcgiHandler;

/**
 * A started worker, as its {@link WorkerFactory} made it: the pool runs each request it gives the worker through
 * {@link #handler()} on the worker's own thread, one request at a time. The pool calls these methods from its
 * worker and maintenance threads; implementations must be thread-safe.
 */
public interface PoolWorker extends AutoCloseable {

    /** Runs the worker's requests, on the worker's thread. */
    FcgiHandler handler();

    /** The process id the status page shows as "pid", or -1 for an in-JVM worker (the slot's id is shown). */
    default long pid() {
        return -1;
    }

    /**
     * Whether the worker can take another request; the pool asks after each request, and a worker that answers
     * false leaves the pool and is replaced (a child process that exited). Default: true.
     */
    default boolean isAlive() {
        return true;
    }

    /**
     * {@code request_terminate_timeout} ran out: stop the current request. The pool has ended the request for the
     * web server and interrupted the worker's thread already; a child process is sent SIGTERM here. Default:
     * nothing more.
     */
    default void terminate() {
    }

    /**
     * The worker did not stop within the grace period after {@link #terminate()}: the pool gives up on it and
     * replaces it; a child process is sent SIGKILL here. Default: nothing (a thread cannot be killed; it is left to
     * finish outside the pool's count).
     */
    default void kill() {
    }

    /** Whether the slowlog shows the worker thread's Java stack (false when the work runs elsewhere). */
    default boolean hasJavaStack() {
        return true;
    }

    /**
     * How the worker ended, once {@link #close()} has returned, in FPM's words for a child process
     * ({@code with code 0}, {@code on signal 9 (SIGKILL)}); the pool's exit log line uses it. Default: {@code null},
     * and the pool says why the worker left.
     */
    default String exitStatus() {
        return null;
    }

    /** The worker leaves the pool (retired, recycled or shut down); called once, after its last request. */
    @Override
    default void close() {
    }
}
