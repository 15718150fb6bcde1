package dev.fcgi.pool;

import dev.fcgi.protocol.server.FcgiHandler;

import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Starts the workers of an {@link FcgiPool}: what runs a request once the pool has given it to a worker. A worker
 * is always a scoreboard slot with a platform thread of its own; the factory supplies what that thread runs, a
 * handler instance in the JVM ({@link #ofHandler(Supplier)}) or a connection to a child process the factory
 * started.
 *
 * <p>{@link #start(WorkerSlot)} is called on the new worker's own thread, so it may block (a child process starts
 * and begins to accept) without holding up the pool; the slot shows "Starting" meanwhile. A start that throws is
 * logged, the slot leaves the pool, and the pool backs off before it starts the next worker.
 */
@FunctionalInterface
public interface WorkerFactory {

    /**
     * Starts the worker for {@code slot}.
     *
     * @throws Exception when the worker could not start; the pool logs it and retries with a back-off
     */
    PoolWorker start(WorkerSlot slot) throws Exception;

    /**
     * The {@code security.limit_extensions} a pool applies when none is configured: none for Java handlers (their
     * routes are not script files), FPM's {@code .php .phar} for PHP children.
     */
    default List<String> defaultLimitExtensions() {
        return List.of();
    }

    /**
     * In-JVM workers: each worker gets its own handler instance from {@code handlers}, so a handler that is not
     * thread-safe is safe here, and {@code pm.max_requests} starts a fresh one.
     */
    static WorkerFactory ofHandler(Supplier<? extends FcgiHandler> handlers) {
        Objects.requireNonNull(handlers, "handlers");
        return slot -> new ThreadWorker(Objects.requireNonNull(handlers.get(), "the handler factory returned null"));
    }
}
