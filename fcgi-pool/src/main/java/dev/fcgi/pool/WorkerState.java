package dev.fcgi.pool;

/**
 * The stage of a worker, as FPM's scoreboard names it on the status page.
 */
public enum WorkerState {
    /**
     * Its factory is starting it (a child process not yet accepting); it takes requests once started. Not an FPM
     * state: a forked FPM child is ready at once. Strategies count it with the idle workers, so as not to start
     * more for the same need.
     */
    STARTING("Starting"),
    /** Waiting for a request; the only state that takes a request at once. */
    IDLE("Idle"),
    /** A request was handed over and its headers are being read. */
    READING_HEADERS("Reading headers"),
    /** The handler runs. */
    RUNNING("Running"),
    /** The response was completed ({@code finish()}) and the handler still runs. */
    FINISHING("Finishing"),
    /** Marked to leave the pool when it next becomes idle (or now, if it is). */
    RETIRING("Retiring");

    private final String label;

    WorkerState(String label) {
        this.label = label;
    }

    /** The name FPM's status page prints. */
    public String label() {
        return label;
    }
}
