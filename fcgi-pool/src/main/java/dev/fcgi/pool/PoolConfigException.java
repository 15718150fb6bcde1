package dev.fcgi.pool;

import java.io.Serial;

/**
 * A pool configuration that FPM would refuse. The message is FPM's own, prefixed with {@code [pool NAME] }, e.g.
 * {@code [pool www] pm.max_children must be a positive value}; only the first error found is reported, in FPM's order.
 */
public final class PoolConfigException extends IllegalArgumentException {
    @Serial
    private static final long serialVersionUID = 1L;

    private final String poolName;

    /** Creates an exception for pool {@code poolName}; {@code detail} is the text after the {@code [pool NAME] } prefix. */
    public PoolConfigException(String poolName, String detail) {
        super("[pool " + poolName + "] " + detail);
        this.poolName = poolName;
    }

    /** The name of the pool whose configuration was refused. */
    public String poolName() {
        return poolName;
    }
}
