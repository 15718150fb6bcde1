package dev.fcgi.benchmarks.load;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * When a run's requests may be sent and recorded, and when the run is over. Requests sent in the warm-up are not
 * recorded; the measured ones are counted against {@code -n}; none is sent from the deadline on, or after
 * {@link #stop()}, and, as in wrk, what completes after the deadline is not recorded either. The run is over once
 * every virtual user has stopped, or at the deadline. Thread-safe.
 */
final class LoadPlan {

    /** What {@link #admit(long, long)} allows. */
    enum Admission {
        /** Send, and record the outcome. */
        MEASURE,
        /** Send without recording: warm-up. */
        WARMUP,
        /** Do not send: the virtual user stops. */
        STOP
    }

    private final long measureStart;
    private final long deadline;
    private final long requests;
    private final AtomicLong issued = new AtomicLong();
    private final AtomicInteger running;
    private final CountDownLatch finished = new CountDownLatch(1);
    private volatile boolean stopped;
    private volatile long finishedAt;

    /**
     * @param start    the run's start ({@link System#nanoTime()})
     * @param warmup   nanoseconds of warm-up from {@code start}
     * @param duration nanoseconds of measurement after the warm-up
     * @param requests measured requests at most, or 0 for no limit
     * @param users    the number of virtual users
     */
    LoadPlan(long start, long warmup, long duration, long requests, int users) {
        this.measureStart = start + warmup;
        this.deadline = measureStart + duration;
        this.requests = requests;
        this.running = new AtomicInteger(users);
    }

    /**
     * Whether a request meant to be sent at {@code sendAt} is sent, and recorded; {@code now} is the time of
     * asking. Both are {@link System#nanoTime()}; they differ in an open loop, where {@code sendAt} is the
     * scheduled time.
     */
    Admission admit(long sendAt, long now) {
        if (stopped || sendAt - deadline >= 0 || now - deadline >= 0) {
            return Admission.STOP;
        }
        if (sendAt - measureStart < 0) {
            return Admission.WARMUP;
        }
        if (requests > 0 && issued.incrementAndGet() > requests) {
            return Admission.STOP;
        }
        return Admission.MEASURE;
    }

    /** Whether an outcome at {@code now} ({@link System#nanoTime()}) is inside the measured window. */
    boolean beforeDeadline(long now) {
        return now - deadline < 0;
    }

    /** The end of the warm-up, as {@link System#nanoTime()}. */
    long measureStart() {
        return measureStart;
    }

    /** The deadline, as {@link System#nanoTime()}. */
    long deadline() {
        return deadline;
    }

    /** Sends no more requests; those in flight still complete. */
    void stop() {
        stopped = true;
    }

    boolean isStopped() {
        return stopped;
    }

    /** A virtual user has stopped; the last one ends the run. */
    void userStopped() {
        if (running.decrementAndGet() == 0) {
            finishedAt = System.nanoTime();
            finished.countDown();
        }
    }

    /** Waits up to {@code nanos} for every virtual user to stop; true when they have. */
    boolean awaitFinished(long nanos) throws InterruptedException {
        return finished.await(nanos, TimeUnit.NANOSECONDS);
    }

    /**
     * The nanoseconds measured: from the end of the warm-up until every user stopped, or the deadline, or now,
     * whichever comes first.
     */
    long measuredNanos() {
        long end = finished.getCount() == 0 ? finishedAt : System.nanoTime();
        if (end - deadline > 0) {
            end = deadline;
        }
        return Math.max(1, end - measureStart);
    }
}
