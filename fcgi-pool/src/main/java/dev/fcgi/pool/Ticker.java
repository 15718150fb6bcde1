package dev.fcgi.pool;

/**
 * A source of nanosecond time for a pool, so that tests step time instead of sleeping.
 */
@FunctionalInterface
public interface Ticker {

    /** The system ticker, {@link System#nanoTime()}. */
    Ticker SYSTEM = System::nanoTime;

    /** Nanoseconds from an arbitrary origin; only differences matter. */
    long read();
}
