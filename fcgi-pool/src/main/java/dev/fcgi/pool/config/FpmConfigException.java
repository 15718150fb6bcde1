package dev.fcgi.pool.config;

import java.io.IOException;
import java.io.Serial;
import java.nio.file.Path;

/**
 * A php-fpm.conf that php-fpm would refuse, or that this pool cannot run. The message is FPM's, and starts with the
 * file and line where there is one: {@code [/etc/php/8.2/fpm/pool.d/www.conf:12] unknown entry 'pm.foo'}; errors
 * found when a whole pool is checked keep FPM's pool prefix: {@code [pool www] pm.max_children must be a positive
 * value}. Only the first error is reported, as php-fpm does.
 */
public final class FpmConfigException extends IOException {
    @Serial
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final int line;

    /** An error without a line (a pool's or the whole configuration's). */
    public FpmConfigException(String message) {
        this(message, null);
    }

    /** An error without a line, caused by {@code cause}. */
    public FpmConfigException(String message, Throwable cause) {
        super(message, cause);
        this.file = null;
        this.line = 0;
    }

    FpmConfigException(Location where, String detail) {
        super(where + " " + detail);
        this.file = where.file();
        this.line = where.line();
    }

    /** The file the error is in, or {@code null} when it concerns a whole pool or the whole configuration. */
    public Path file() {
        return file;
    }

    /** The line (from 1) the error is on, or 0 without a file. */
    public int line() {
        return line;
    }
}
