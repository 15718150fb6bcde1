package dev.fcgi.pool;

import java.time.Duration;
import java.util.Optional;

/**
 * FPM's {@code pm = ondemand}: no worker until a request needs one, at most {@code pm.max_children}, and a worker
 * idle for longer than {@code pm.process_idle_timeout} is retired (one per tick, as FPM).
 *
 * <p>Unlike FPM, which starts one process per wake-up of its listening socket however many connections arrived,
 * every queued request that finds no idle worker gets one; and the worker retired is the longest idle, while the
 * pool hands requests to the most recently used worker first, so that a pool can shrink after a burst (FPM's
 * kernel round-robin keeps every worker warm, bug #77959).
 */
public final class OnDemandStrategy implements PoolStrategy {

    private final MaxChildren maxChildren;
    private final long idleTimeoutNanos;

    private OnDemandStrategy(int maxChildren, Duration idleTimeout) {
        this.maxChildren = new MaxChildren(maxChildren);
        this.idleTimeoutNanos = idleTimeout.toNanos();
    }

    /** A builder; {@code maxChildren} is required. */
    public static Builder newBuilder() {
        return new Builder();
    }

    @Override
    public int initialWorkers() {
        return 0;
    }

    @Override
    public int maxWorkers() {
        return maxChildren.max();
    }

    @Override
    public PoolDecision onTick(ScoreboardSnapshot pool) {
        if (pool.queued() > pool.idle()) {
            return onRequestQueued(pool);
        }
        Optional<WorkerView> longestIdle = pool.longestIdle();
        if (longestIdle.isPresent() && pool.nowNanos() - longestIdle.get().stateSinceNanos() > idleTimeoutNanos) {
            return PoolDecision.retire(longestIdle.get().id());
        }
        return PoolDecision.NONE;
    }

    @Override
    public PoolDecision onRequestQueued(ScoreboardSnapshot pool) {
        return maxChildren.forQueue(pool);
    }

    /** Replaces a worker that left only when requests wait for one (FPM always does, bug #77959). */
    @Override
    public PoolDecision onWorkerExited(ScoreboardSnapshot pool) {
        return onRequestQueued(pool);
    }

    @Override
    public String toString() {
        return "ondemand(max_children=" + maxChildren.max() + ", process_idle_timeout="
                + Duration.ofNanos(idleTimeoutNanos).toSeconds() + "s)";
    }

    /** Settings of an {@link OnDemandStrategy}. */
    public static final class Builder {
        private int maxChildren = -1;
        private Duration processIdleTimeout = Duration.ofSeconds(10);

        private Builder() {
        }

        /** {@code pm.max_children}: the most workers. Required. */
        public Builder maxChildren(int n) {
            this.maxChildren = n;
            return this;
        }

        /** {@code pm.process_idle_timeout}: how long a worker may stay idle. Default: 10 s. */
        public Builder processIdleTimeout(Duration timeout) {
            this.processIdleTimeout = timeout;
            return this;
        }

        /** Checks the settings with FPM's rules and messages. */
        public OnDemandStrategy build() {
            if (maxChildren < 1) {
                throw new IllegalArgumentException("pm.max_children must be a positive value");
            }
            if (processIdleTimeout.toSeconds() < 1) {
                throw new IllegalArgumentException("pm.process_idle_timeout(" + processIdleTimeout.toSeconds()
                        + "s) must be greater than 0s");
            }
            return new OnDemandStrategy(maxChildren, processIdleTimeout);
        }
    }
}
