package dev.fcgi.pool;

import java.time.Duration;

/**
 * FPM's {@code emergency_restart_threshold} and {@code emergency_restart_interval}: a ring of the times of the last
 * {@code threshold} worker failures; when all of them fall within {@code interval}, a restart is due and the ring
 * starts over. Thread-safe.
 */
final class EmergencyRestart {

    private final int threshold;
    private final long intervalNanos;
    private final long[] failures;
    private int count;
    private int next;

    /** Off when either value is zero, as in FPM. */
    EmergencyRestart(int threshold, Duration interval) {
        if (threshold < 0) {
            throw new IllegalArgumentException("emergency_restart_threshold: " + threshold + " (expected: >= 0)");
        }
        if (interval.isNegative()) {
            throw new IllegalArgumentException("emergency_restart_interval: " + interval + " (expected: >= 0)");
        }
        boolean on = threshold > 0 && !interval.isZero();
        this.threshold = on ? threshold : 0;
        this.intervalNanos = interval.toNanos();
        this.failures = new long[this.threshold];
    }

    boolean isOn() {
        return threshold > 0;
    }

    int threshold() {
        return threshold;
    }

    long intervalSeconds() {
        return Duration.ofNanos(intervalNanos).toSeconds();
    }

    /** Books a failure at {@code nowNanos}; true when it completes {@code threshold} failures within the interval. */
    synchronized boolean failed(long nowNanos) {
        if (threshold == 0) {
            return false;
        }
        failures[next] = nowNanos;
        next = (next + 1) % threshold;
        count = Math.min(count + 1, threshold);
        if (count < threshold) {
            return false;
        }
        long oldest = failures[next];       // the slot written longest ago
        if (nowNanos - oldest > intervalNanos) {
            return false;
        }
        count = 0;
        return true;
    }
}
