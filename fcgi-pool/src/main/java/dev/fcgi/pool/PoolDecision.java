package dev.fcgi.pool;

import java.util.List;

/**
 * What a {@link PoolStrategy} asks its pool to do: start workers, retire idle ones, and whether the pool just hit
 * its maximum size (the pool counts and warns once per such episode, as FPM's {@code max children reached}).
 *
 * @param spawn              workers to start now
 * @param retire             ids of idle workers to retire
 * @param maxChildrenReached the pool needed a worker it may not start: a new episode at its maximum
 */
public record PoolDecision(int spawn, List<Long> retire, boolean maxChildrenReached) {

    /** Nothing to do. */
    public static final PoolDecision NONE = new PoolDecision(0, List.of(), false);

    /** Checks the count and copies the ids. */
    public PoolDecision {
        if (spawn < 0) {
            throw new IllegalArgumentException("spawn: " + spawn + " (expected: >= 0)");
        }
        retire = List.copyOf(retire);
    }

    /** Start {@code n} workers. */
    public static PoolDecision spawn(int n) {
        return n == 0 ? NONE : new PoolDecision(n, List.of(), false);
    }

    /** Retire the idle worker {@code id}. */
    public static PoolDecision retire(long id) {
        return new PoolDecision(0, List.of(id), false);
    }

    /** The pool is at its maximum and needed more: start nothing, count the episode. */
    public static PoolDecision atMaxChildren() {
        return new PoolDecision(0, List.of(), true);
    }
}
