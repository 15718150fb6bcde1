package dev.fcgi.pool;

/**
 * FPM's {@code pm = static}: a fixed number of workers, started with the pool and replaced when one leaves
 * (the pool replaces workers that exit; this strategy only tops the pool up if one is missing).
 */
public final class StaticStrategy implements PoolStrategy {

    private final int workers;

    private StaticStrategy(int workers) {
        this.workers = workers;
    }

    /** A pool of exactly {@code maxChildren} workers. */
    public static StaticStrategy of(int maxChildren) {
        if (maxChildren < 1) {
            throw new IllegalArgumentException("pm.max_children must be a positive value");
        }
        return new StaticStrategy(maxChildren);
    }

    @Override
    public int initialWorkers() {
        return workers;
    }

    @Override
    public int maxWorkers() {
        return workers;
    }

    @Override
    public PoolDecision onTick(ScoreboardSnapshot pool) {
        return PoolDecision.spawn(Math.max(0, workers - pool.total()));
    }

    @Override
    public String toString() {
        return "static(max_children=" + workers + ')';
    }
}
