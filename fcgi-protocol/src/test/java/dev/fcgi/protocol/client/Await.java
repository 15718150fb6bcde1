package dev.fcgi.protocol.client;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/** Bounded waits for tests. */
final class Await {

    static final long SECONDS = 20;

    private Await() {
    }

    /** The future's value, waiting at most {@link #SECONDS}; its failure is rethrown as it is. */
    static <T> T get(CompletableFuture<T> future) throws Exception {
        try {
            return future.get(SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        } catch (TimeoutException e) {
            throw new AssertionError("future not completed within " + SECONDS + " s: " + future, e);
        }
    }

    /** The exception the future fails with (within {@link #SECONDS}); fails the test if it succeeds. */
    static Throwable failure(CompletableFuture<?> future) throws InterruptedException {
        try {
            Object value = future.get(SECONDS, TimeUnit.SECONDS);
            if (value instanceof AutoCloseable closeable) {
                try {
                    closeable.close();
                } catch (Exception ignored) {
                    // the test fails anyway
                }
            }
            throw new AssertionError("expected a failure, got " + value);
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (TimeoutException e) {
            throw new AssertionError("future not completed within " + SECONDS + " s", e);
        }
    }

    /**
     * Waits until a condition on client-side state holds, checking it every millisecond or so, for at most
     * {@link #SECONDS}. Used where no event signals the change (the fake server's own events use
     * {@link FakeFcgiServer#await}).
     */
    static void until(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(SECONDS);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }
}
