package dev.fcgi.pool;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * FPM's {@code process.max}: the most workers all pools sharing this budget may run together. A pool asks for a
 * slot before it starts a worker and gives it back when the worker leaves.
 */
public final class ProcessBudget {

    private final int max;
    private final AtomicInteger used = new AtomicInteger();

    private ProcessBudget(int max) {
        this.max = max;
    }

    /** A budget of {@code max} workers; 0 means no limit, as in FPM. */
    public static ProcessBudget of(int max) {
        if (max < 0) {
            throw new IllegalArgumentException("process_max can't be negative");
        }
        return new ProcessBudget(max);
    }

    /** No limit. */
    public static ProcessBudget unlimited() {
        return new ProcessBudget(0);
    }

    /** The limit, 0 for none. */
    public int max() {
        return max;
    }

    /** Workers running under this budget now. */
    public int used() {
        return used.get();
    }

    /** Takes a slot for a new worker; false when the budget is spent. */
    boolean tryAcquire() {
        for (;;) {
            int current = used.get();
            if (max > 0 && current >= max) {
                return false;
            }
            if (used.compareAndSet(current, current + 1)) {
                return true;
            }
        }
    }

    /** Gives back the slot of a worker that left. */
    void release() {
        used.decrementAndGet();
    }
}
