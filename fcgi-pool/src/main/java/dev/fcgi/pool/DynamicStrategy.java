package dev.fcgi.pool;

import java.util.Optional;

/**
 * FPM's {@code pm = dynamic}: keeps between {@code pm.min_spare_servers} and {@code pm.max_spare_servers} idle
 * workers, at most {@code pm.max_children} in all. Each tick follows {@code fpm_process_ctl.c}: with too many idle
 * workers it retires one (the longest idle); with too few it starts {@code min(rate, min_spare - idle,
 * max_children - total)} and doubles the rate (1, 2, 4 ... up to {@code pm.max_spawn_rate}), which resets to 1 on
 * any tick that is not short of idle workers.
 *
 * <p>Unlike FPM, a request that finds no idle worker starts the workers the queue needs at once, instead of up to
 * a second later in steps of the spawn rate: a burst from idle to {@code max_children} busy waits for no tick.
 * Also unlike FPM, the worker retired is the longest idle one, not the oldest started.
 */
public final class DynamicStrategy implements PoolStrategy {

    private final MaxChildren maxChildren;
    private final int startServers;
    private final int minSpare;
    private final int maxSpare;
    private final int maxSpawnRate;
    private int spawnRate = 1;

    private DynamicStrategy(Builder builder) {
        this.maxChildren = new MaxChildren(builder.maxChildren);
        this.minSpare = builder.minSpare;
        this.maxSpare = builder.maxSpare;
        this.startServers = builder.startServers >= 0 ? builder.startServers
                : builder.minSpare + (builder.maxSpare - builder.minSpare) / 2;
        this.maxSpawnRate = builder.maxSpawnRate;
    }

    /** A builder; {@code maxChildren}, {@code minSpareServers} and {@code maxSpareServers} are required. */
    public static Builder newBuilder() {
        return new Builder();
    }

    @Override
    public int initialWorkers() {
        return startServers;
    }

    @Override
    public int maxWorkers() {
        return maxChildren.max();
    }

    /** The number of workers the next short tick may start (1, 2, 4 ... {@code pm.max_spawn_rate}). */
    public int spawnRate() {
        return spawnRate;
    }

    @Override
    public PoolDecision onTick(ScoreboardSnapshot pool) {
        int idle = pool.idle();
        Optional<WorkerView> longestIdle = pool.longestIdle();
        if (idle > maxSpare && longestIdle.isPresent()) {
            spawnRate = 1;
            return PoolDecision.retire(longestIdle.get().id());
        }
        if (idle >= minSpare) {
            spawnRate = 1;
            return PoolDecision.NONE;
        }
        int n = Math.min(Math.min(spawnRate, minSpare - idle), maxChildren.max() - pool.total());
        if (n <= 0) {
            spawnRate = 1;
            return maxChildren.reached();
        }
        if (spawnRate < maxSpawnRate) {
            spawnRate *= 2;
        }
        return maxChildren.spawn(n);
    }

    @Override
    public PoolDecision onRequestQueued(ScoreboardSnapshot pool) {
        return maxChildren.forQueue(pool);
    }

    @Override
    public String toString() {
        return "dynamic(max_children=" + maxChildren.max() + ", start_servers=" + startServers + ", min_spare_servers="
                + minSpare + ", max_spare_servers=" + maxSpare + ", max_spawn_rate=" + maxSpawnRate + ')';
    }

    /** Settings of a {@link DynamicStrategy}, checked with FPM's rules by {@link #build()}. */
    public static final class Builder {
        private int maxChildren = -1;
        private int startServers = -1;
        private int minSpare = -1;
        private int maxSpare = -1;
        private int maxSpawnRate = 32;

        private Builder() {
        }

        /** {@code pm.max_children}: the most workers. Required. */
        public Builder maxChildren(int n) {
            this.maxChildren = n;
            return this;
        }

        /** {@code pm.start_servers}. Default: {@code min_spare + (max_spare - min_spare) / 2}. */
        public Builder startServers(int n) {
            this.startServers = n;
            return this;
        }

        /** {@code pm.min_spare_servers}: the fewest idle workers. Required. */
        public Builder minSpareServers(int n) {
            this.minSpare = n;
            return this;
        }

        /** {@code pm.max_spare_servers}: the most idle workers. Required. */
        public Builder maxSpareServers(int n) {
            this.maxSpare = n;
            return this;
        }

        /** {@code pm.max_spawn_rate}: the cap of the doubling spawn rate. Default: 32. */
        public Builder maxSpawnRate(int n) {
            this.maxSpawnRate = n;
            return this;
        }

        /** Checks the settings with FPM's rules and messages. */
        public DynamicStrategy build() {
            if (maxChildren < 1) {
                throw new IllegalArgumentException("pm.max_children must be a positive value");
            }
            if (minSpare < 1) {
                throw new IllegalArgumentException("pm.min_spare_servers(" + minSpare + ") must be a positive value");
            }
            if (maxSpare < 1) {
                throw new IllegalArgumentException("pm.max_spare_servers(" + maxSpare + ") must be a positive value");
            }
            if (minSpare > maxChildren || maxSpare > maxChildren) {
                throw new IllegalArgumentException("pm.min_spare_servers(" + minSpare + ") and pm.max_spare_servers("
                        + maxSpare + ") cannot be greater than pm.max_children(" + maxChildren + ")");
            }
            if (maxSpare < minSpare) {
                throw new IllegalArgumentException("pm.max_spare_servers(" + maxSpare
                        + ") must not be less than pm.min_spare_servers(" + minSpare + ")");
            }
            if (startServers >= 0 && (startServers < minSpare || startServers > maxSpare)) {
                throw new IllegalArgumentException("pm.start_servers(" + startServers
                        + ") must not be less than pm.min_spare_servers(" + minSpare
                        + ") and not greater than pm.max_spare_servers(" + maxSpare + ")");
            }
            if (maxSpawnRate < 1) {
                throw new IllegalArgumentException("pm.max_spawn_rate must be a positive value");
            }
            return new DynamicStrategy(this);
        }
    }
}
