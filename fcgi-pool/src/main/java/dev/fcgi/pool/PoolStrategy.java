package dev.fcgi.pool;

/**
 * Decides how many workers a pool runs: the pluggable part of FPM's process manager. The pool calls it on its
 * maintenance thread only, once a second ({@link #onTick}) and at once when a request finds no idle worker
 * ({@link #onRequestQueued}); it must not block. The strategy decides; the pool acts (and never starts more than
 * {@link #maxWorkers()} workers, nor more than {@code process.max} across pools).
 *
 * <p>Implementations: {@link StaticStrategy}, {@link DynamicStrategy}, {@link OnDemandStrategy}, or your own.
 */
public interface PoolStrategy {

    /** Workers to start with the pool. */
    int initialWorkers();

    /** The most workers the pool may run ({@code pm.max_children}). */
    int maxWorkers();

    /** Called every maintenance heartbeat (1 s). */
    PoolDecision onTick(ScoreboardSnapshot pool);

    /** Called when a request was queued because no worker was idle. Default: nothing, wait for the tick. */
    default PoolDecision onRequestQueued(ScoreboardSnapshot pool) {
        return PoolDecision.NONE;
    }

    /**
     * Called when a worker left the pool on its own ({@code pm.max_requests}, a crash), not because the strategy
     * retired it. Default: replace it at once, as FPM does.
     */
    default PoolDecision onWorkerExited(ScoreboardSnapshot pool) {
        return pool.total() < maxWorkers() ? PoolDecision.spawn(1) : PoolDecision.NONE;
    }
}
