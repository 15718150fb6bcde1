package dev.fcgi.pool;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * A pool's scoreboard at one moment: what a {@link PoolStrategy} decides from.
 *
 * @param nowNanos the pool's ticker when the snapshot was taken
 * @param queued   requests waiting for a worker
 * @param workers  every worker of the pool, retiring ones included
 */
public record ScoreboardSnapshot(long nowNanos, int queued, List<WorkerView> workers) {

    /** Copies the worker list. */
    public ScoreboardSnapshot {
        workers = List.copyOf(workers);
    }

    /** Workers waiting for a request, and workers starting (they take one once started). */
    public int idle() {
        int idle = 0;
        for (WorkerView worker : workers) {
            idle += worker.isIdleOrStarting() ? 1 : 0;
        }
        return idle;
    }

    /** Workers serving a request (FPM's "active": not idle, not starting and not retiring). */
    public int active() {
        int active = 0;
        for (WorkerView worker : workers) {
            active += !worker.isIdleOrStarting() && worker.state() != WorkerState.RETIRING ? 1 : 0;
        }
        return active;
    }

    /** Workers that count against the pool's size: all but the retiring ones. */
    public int total() {
        return idle() + active();
    }

    /** The idle worker that has been idle the longest, the one to retire first. */
    public Optional<WorkerView> longestIdle() {
        return workers.stream().filter(WorkerView::isIdle).min(Comparator.comparingLong(WorkerView::stateSinceNanos));
    }
}
