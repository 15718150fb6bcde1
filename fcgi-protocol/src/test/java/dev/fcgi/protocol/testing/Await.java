package dev.fcgi.protocol.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Polls a condition until it holds or a deadline passes: the way tests wait for another process or thread,
 * instead of sleeping for a guessed time.
 */
public final class Await {

    private Await() {
    }

    /**
     * Returns as soon as {@code condition} is true; fails with {@code description} when it is still false after
     * {@code timeout}. Polls every few milliseconds.
     */
    public static void until(Duration timeout, BooleanSupplier condition, Supplier<String> description) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long pauseMillis = 1;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline >= 0) {
                throw new AssertionError("not true after " + timeout.toMillis() + " ms: " + description.get());
            }
            try {
                Thread.sleep(pauseMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for: " + description.get(), e);
            }
            pauseMillis = Math.min(50, pauseMillis * 2);
        }
    }

    /** {@link #until(Duration, BooleanSupplier, Supplier)} with a fixed description. */
    public static void until(Duration timeout, BooleanSupplier condition, String description) {
        until(timeout, condition, () -> description);
    }
}
