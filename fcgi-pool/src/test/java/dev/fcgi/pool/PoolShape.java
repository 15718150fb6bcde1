package dev.fcgi.pool;

import dev.fcgi.protocol.testing.Await;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The three process managers as the fault tests configure them, and what "back to its configured shape" means for
 * each once the load is over: static, exactly its workers, all idle; dynamic, between {@code min_spare_servers}
 * and {@code max_spare_servers} workers, all idle, after maintenance ticks; ondemand, no worker once the idle
 * timeout has passed. Time is the test's fake ticker; the pool's heartbeat is an hour, so that maintenance runs
 * when {@link #settle} steps it.
 */
public enum PoolShape {
    /** {@code pm = static}, 4 children. */
    STATIC,
    /** {@code pm = dynamic}, 6 children at most, 2 at start, 1 to 3 spare. */
    DYNAMIC,
    /** {@code pm = ondemand}, 6 children at most, idle ones leave after 10 s. */
    ONDEMAND;

    /** How long an ondemand worker may stay idle. */
    static final Duration IDLE_TIMEOUT = Duration.ofSeconds(10);
    private static final int MAX_CHILDREN = 6;
    private static final int MIN_SPARE = 1;
    private static final int MAX_SPARE = 3;
    private static final Duration WAIT = Duration.ofSeconds(30);

    /** A new strategy of this shape (strategies keep state: one per pool). */
    public PoolStrategy strategy() {
        return switch (this) {
            case STATIC -> StaticStrategy.of(4);
            case DYNAMIC -> DynamicStrategy.newBuilder().maxChildren(MAX_CHILDREN).startServers(2)
                    .minSpareServers(MIN_SPARE).maxSpareServers(MAX_SPARE).build();
            case ONDEMAND -> OnDemandStrategy.newBuilder().maxChildren(MAX_CHILDREN).processIdleTimeout(IDLE_TIMEOUT)
                    .build();
        };
    }

    /**
     * Brings an unloaded pool to rest (dynamic: maintenance ticks; ondemand: the ticker moved past the idle timeout,
     * then ticks) and checks its shape: no request queued or running, no worker starting, busy or retiring, and the
     * strategy's number of workers.
     */
    public void settle(FcgiPool pool, AtomicLong ticker) throws Exception {
        awaitQuiet(pool);
        switch (this) {
            case STATIC -> assertEquals(4, pool.status().totalProcesses(), () -> "static: " + pool.snapshot());
            case DYNAMIC -> {
                for (int tick = 0; tick < 2 * MAX_CHILDREN && !dynamicAtRest(pool); tick++) {
                    pool.runMaintenance();
                    awaitQuiet(pool);
                }
                assertTrue(dynamicAtRest(pool), () -> "dynamic: between " + MIN_SPARE + " and " + MAX_SPARE
                        + " idle workers: " + pool.snapshot());
                pool.runMaintenance();      // at rest: a further tick changes nothing
                awaitQuiet(pool);
                assertTrue(dynamicAtRest(pool), () -> "dynamic, one tick later: " + pool.snapshot());
            }
            case ONDEMAND -> {
                ticker.addAndGet(IDLE_TIMEOUT.toNanos() + 1);
                for (int tick = 0; tick < 2 * MAX_CHILDREN && pool.status().totalProcesses() > 0; tick++) {
                    pool.runMaintenance();
                    awaitQuiet(pool);
                }
                assertEquals(0, pool.status().totalProcesses(), () -> "ondemand: no worker " + IDLE_TIMEOUT
                        + " after the load: " + pool.snapshot());
            }
        }
        PoolStatus status = pool.status();
        assertEquals(0, status.activeProcesses(), status::toString);
        assertEquals(0, status.listenQueue(), status::toString);
        assertEquals(status.totalProcesses(), status.idleProcesses(), status::toString);
    }

    private static boolean dynamicAtRest(FcgiPool pool) {
        int total = pool.status().totalProcesses();
        return total >= MIN_SPARE && total <= MAX_SPARE;
    }

    /** Waits until no request waits or runs, and every worker is idle (none starting, busy or retiring). */
    private static void awaitQuiet(FcgiPool pool) {
        Await.until(WAIT, () -> {
            ScoreboardSnapshot board = pool.snapshot();
            return board.queued() == 0 && board.workers().stream().allMatch(WorkerView::isIdle);
        }, () -> "every worker idle: " + pool.snapshot());
    }
}
