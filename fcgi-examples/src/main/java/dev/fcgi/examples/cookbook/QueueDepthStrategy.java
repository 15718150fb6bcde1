package dev.fcgi.examples.cookbook;

import dev.fcgi.pool.PoolDecision;
import dev.fcgi.pool.PoolStrategy;
import dev.fcgi.pool.ScoreboardSnapshot;
import dev.fcgi.pool.WorkerView;

/**
 * A pool strategy of one's own: keep {@code min} workers, start one worker per queued request up to {@code max}
 * the moment a request waits, and retire one idle worker per tick while more than {@code min} are idle.
 */
public final class QueueDepthStrategy implements PoolStrategy {

    private final int min;
    private final int max;

    public QueueDepthStrategy(int min, int max) {
        this.min = min;
        this.max = max;
    }

    @Override
    public int initialWorkers() {
        return min;
    }

    @Override
    public int maxWorkers() {
        return max;
    }

    @Override
    public PoolDecision onRequestQueued(ScoreboardSnapshot pool) {
        int room = max - pool.total();
        return room <= 0 ? PoolDecision.atMaxChildren() : PoolDecision.spawn(Math.min(room, pool.queued()));
    }

    @Override
    public PoolDecision onTick(ScoreboardSnapshot pool) {
        if (pool.total() < min) {
            return PoolDecision.spawn(min - pool.total());
        }
        if (pool.idle() > min) {
            return pool.longestIdle().map(WorkerView::id).map(PoolDecision::retire).orElse(PoolDecision.NONE);
        }
        return pool.queued() > 0 ? onRequestQueued(pool) : PoolDecision.NONE;
    }

    @Override
    public String toString() {
        return "queue-depth(min=" + min + ", max=" + max + ')';
    }
}
