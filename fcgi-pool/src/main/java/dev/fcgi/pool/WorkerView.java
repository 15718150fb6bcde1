package dev.fcgi.pool;

/**
 * A read-only view of one worker at the moment a {@link ScoreboardSnapshot} was taken.
 *
 * @param id                   the worker's slot id, unique in its pool
 * @param pid                  the process id the status page shows: a child process's pid, or {@code id} for an
 *                             in-JVM worker
 * @param state                its stage
 * @param startedNanos         when it started, on the pool's ticker
 * @param stateSinceNanos      when it entered {@code state}, on the pool's ticker
 * @param requests             the requests it has served
 * @param request              the request it runs, or, when idle, the last one it ran; {@code null} before its
 *                             first request (or when the dispatcher was given no request)
 * @param requestStartNanos    when it took the request it runs now, on the pool's ticker; -1 when it runs none
 * @param lastRequestNanos     how long its last finished request took; -1 before the first one finished
 * @param lastRequestCpuNanos  the CPU time its thread spent on its last finished request (0 when unknown)
 * @param lastRequestMemory    the bytes its thread allocated for its last finished request (0 when unknown)
 */
public record WorkerView(long id, long pid, WorkerState state, long startedNanos, long stateSinceNanos,
                         long requests, RequestInfo request, long requestStartNanos, long lastRequestNanos,
                         long lastRequestCpuNanos, long lastRequestMemory) {

    /** A worker with no request information (for strategies' tests). */
    public WorkerView(long id, WorkerState state, long startedNanos, long stateSinceNanos, long requests) {
        this(id, id, state, startedNanos, stateSinceNanos, requests, null,
                state == WorkerState.IDLE || state == WorkerState.STARTING ? -1 : stateSinceNanos, -1, 0, 0);
    }

    /** Whether the worker waits for a request. */
    public boolean isIdle() {
        return state == WorkerState.IDLE;
    }

    /**
     * Whether the worker counts as idle for a strategy: it waits for a request, or it is starting and will take
     * one once it has started.
     */
    public boolean isIdleOrStarting() {
        return state == WorkerState.IDLE || state == WorkerState.STARTING;
    }

    /**
     * FPM's "request duration": for an idle worker the duration of its last request (0 before any), otherwise the
     * time since it took the current one.
     */
    public long requestDurationNanos(long nowNanos) {
        return requestStartNanos < 0 ? Math.max(0, lastRequestNanos) : Math.max(0, nowNanos - requestStartNanos);
    }
}
