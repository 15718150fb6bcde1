package dev.fcgi.pool;

import java.util.Locale;

/**
 * How a pool sizes itself: FPM's {@code pm} directive. There is no default; {@link PoolConfig.Builder#build()} fails
 * with FPM's "the process manager is missing" message when it is not set.
 */
public enum ProcessManager {
    /** A fixed number of workers, {@code pm.max_children}, started at boot and replaced when they exit. */
    STATIC,
    /**
     * Between {@code pm.min_spare_servers} and {@code pm.max_spare_servers} idle workers, at most
     * {@code pm.max_children} in all; starts {@code pm.start_servers}.
     */
    DYNAMIC,
    /** No workers at boot; one is started per waiting request and retired after {@code pm.process_idle_timeout}. */
    ONDEMAND;

    /** FPM's parser error for a bad {@code pm} value, word for word. */
    static final String INVALID = "invalid process manager (static, dynamic or ondemand)";

    /**
     * Parses a {@code pm} value as FPM does: {@code static}, {@code dynamic} or {@code ondemand}, in any case.
     *
     * @throws IllegalArgumentException with FPM's message {@code invalid process manager (static, dynamic or ondemand)}
     *                                  for anything else, including {@code null}
     */
    public static ProcessManager parse(String value) {
        if (value != null) {
            switch (value.toLowerCase(Locale.ROOT)) {
                case "static": return STATIC;
                case "dynamic": return DYNAMIC;
                case "ondemand": return ONDEMAND;
                default: break;
            }
        }
        throw new IllegalArgumentException(INVALID);
    }

    /** The value as written in php-fpm.conf and shown on the status page: {@code static}, {@code dynamic}, {@code ondemand}. */
    public String fpmName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
