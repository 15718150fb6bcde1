package dev.fcgi.pool;

/**
 * A read-only view of one worker at the moment a {@link ScoreboardSnapshot} was taken.
 *
 * @param id                 the worker's id, unique in its pool (the status page's "pid")
 * @param state              its stage
 * @param startedNanos       when it started, on the pool's ticker
 * @param stateSinceNanos    when it entered {@code state}, on the pool's ticker
 * @param requests           the requests it has served
 * @param request            the request it runs, or, when idle, the last one it ran; {@code null} before its first
 *                           request (or when the dispatcher was given no request)
 * @param requestStartNanos  when it took the request it runs now, on the pool's ticker; -1 when it runs none
 * @param lastRequestNanos   how long its last finished request took; -1 before the first one finished
 */
public record WorkerView(long id, WorkerState state, long startedNanos, long stateSinceNanos, long requests,
                         RequestInfo request, long requestStartNanos, long lastRequestNanos) {

    /** A worker with no request information (for strategies' tests). */
    public WorkerView(long id, WorkerState state, long startedNanos, long stateSinceNanos, long requests) {
        this(id, state, startedNanos, stateSinceNanos, requests, null,
                state == WorkerState.IDLE ? -1 : stateSinceNanos, -1);
    }

    /** Whether the worker waits for a request. */
    public boolean isIdle() {
        return state == WorkerState.IDLE;
    }

    /**
     * FPM's "request duration": for an idle worker the duration of its last request (0 before any), otherwise the
     * time since it took the current one.
     */
    public long requestDurationNanos(long nowNanos) {
        return requestStartNanos < 0 ? Math.max(0, lastRequestNanos) : Math.max(0, nowNanos - requestStartNanos);
    }
}
