package dev.fcgi.pool;

import dev.fcgi.protocol.server.FcgiHandler;

import java.util.Objects;
import java.util.function.Supplier;

/**
 * One pool for {@link FcgiPoolManager}: its FPM configuration and where its workers' handlers come from.
 *
 * @param config   the pool's directives ({@code [name]} section)
 * @param handlers creates each worker's own handler instance
 */
public record PoolDefinition(PoolConfig config, Supplier<FcgiHandler> handlers) {

    /** Checks that both are given. */
    public PoolDefinition {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(handlers, "handlers");
    }
}
