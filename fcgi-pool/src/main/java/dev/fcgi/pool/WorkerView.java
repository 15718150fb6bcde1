package dev.fcgi.pool;

/**
 * A read-only view of one worker at the moment a {@link ScoreboardSnapshot} was taken.
 *
 * @param id             the worker's id, unique in its pool
 * @param state          its stage
 * @param startedNanos   when it started, on the pool's ticker
 * @param stateSinceNanos when it entered {@code state}, on the pool's ticker
 * @param requests       the requests it has served
 */
public record WorkerView(long id, WorkerState state, long startedNanos, long stateSinceNanos, long requests) {

    /** Whether the worker waits for a request. */
    public boolean isIdle() {
        return state == WorkerState.IDLE;
    }
}
