package dev.fcgi.pool;

/**
 * Events of an {@link FcgiPool}, for metrics: every method does nothing by default. The pool calls them outside
 * its lock, on the thread where the event happened (a worker thread or the maintenance thread); they must be quick
 * and must not throw (what they throw is logged and ignored).
 */
public interface PoolListener {

    /** A listener that ignores every event. */
    PoolListener NONE = new PoolListener() {
    };

    /** A worker started and waits for requests; {@code pid} is -1 for an in-JVM worker. */
    default void workerStarted(String pool, long workerId, long pid) {
    }

    /** A worker could not start; the pool backs off before the next start. */
    default void workerStartFailed(String pool, long workerId, Throwable cause) {
    }

    /**
     * A worker left the pool; {@code failure} when it crashed (an exit on a signal, or a fatal JVM error in its
     * handler) rather than retired, recycled ({@code pm.max_requests}) or stopped.
     */
    default void workerExited(String pool, long workerId, String description, boolean failure) {
    }

    /**
     * A request ended on a worker: how long it waited for the worker, how long the worker ran it, and the HTTP
     * status it answered.
     */
    default void requestCompleted(String pool, long workerId, long queueWaitNanos, long durationNanos, int status) {
    }

    /** A request found the queue full ({@code listen.backlog}) and was refused with FCGI_OVERLOADED. */
    default void requestRejected(String pool) {
    }

    /** A request ran past {@code request_slowlog_timeout}. */
    default void slowRequest(String pool, long workerId, RequestInfo request, long elapsedNanos) {
    }

    /** A request ran past {@code request_terminate_timeout} and was ended. */
    default void requestTerminated(String pool, long workerId, RequestInfo request, long elapsedNanos) {
    }

    /** The pool wanted more workers than {@code pm.max_children} (once per episode, as FPM warns). */
    default void maxChildrenReached(String pool) {
    }
}
