package dev.fcgi.pool;

/**
 * The part of a strategy that FPM's dynamic and ondemand managers share: starting the workers queued requests
 * need, within {@code pm.max_children}, and reporting each episode at the maximum once (FPM's
 * {@code max children reached}, whose warning flag clears only when a worker is started again).
 */
final class MaxChildren {

    private final int max;
    private boolean reached;

    MaxChildren(int max) {
        this.max = max;
    }

    int max() {
        return max;
    }

    /** Workers for the requests that wait with no idle worker, within the maximum. */
    PoolDecision forQueue(ScoreboardSnapshot pool) {
        int needed = pool.queued() - pool.idle();
        if (needed <= 0) {
            return PoolDecision.NONE;
        }
        return spawn(Math.min(needed, max - pool.total()));
    }

    /** Starts {@code n} workers, or reports the maximum when {@code n} is not positive. */
    PoolDecision spawn(int n) {
        if (n <= 0) {
            return reached();
        }
        reached = false;
        return PoolDecision.spawn(n);
    }

    /** Reports the maximum, once per episode. */
    PoolDecision reached() {
        if (reached) {
            return PoolDecision.NONE;
        }
        reached = true;
        return PoolDecision.atMaxChildren();
    }
}
