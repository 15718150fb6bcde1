package dev.fcgi.pool;

/**
 * The scoreboard slot a {@link WorkerFactory} starts a worker for: its identity, and the way back to the pool
 * for a worker that ends on its own.
 */
public interface WorkerSlot {

    /** The pool's name. */
    String poolName();

    /** The slot's id, unique in its pool. */
    long id();

    /**
     * The worker ended on its own (a child process exited): the pool takes it out of the scoreboard, after its
     * current request if it runs one, and starts another as its strategy says. {@code failure} marks an abnormal
     * end (a crash: {@code emergency_restart_threshold} counts these).
     */
    void exited(String description, boolean failure);
}
