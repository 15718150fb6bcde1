package dev.fcgi.pool;

import dev.fcgi.protocol.server.FcgiHandler;

import java.util.Objects;
import java.util.function.Supplier;

/**
 * One pool for {@link FcgiPoolManager}: its FPM configuration and what its workers run.
 *
 * @param config  the pool's directives ({@code [name]} section)
 * @param workers starts each worker: in-JVM handler instances, child processes, or your own
 */
public record PoolDefinition(PoolConfig config, WorkerFactory workers) {

    /** Checks that both are given. */
    public PoolDefinition {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(workers, "workers");
    }

    /** In-JVM workers: each gets its own handler instance from {@code handlers}. */
    public PoolDefinition(PoolConfig config, Supplier<? extends FcgiHandler> handlers) {
        this(config, WorkerFactory.ofHandler(handlers));
    }
}
