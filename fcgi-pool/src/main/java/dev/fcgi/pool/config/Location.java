package dev.fcgi.pool.config;

import java.nio.file.Path;

/** A line of a configuration file, written as FPM writes it in its messages: {@code [/etc/php-fpm.conf:12]}. */
record Location(Path file, int line) {

    /** The {@code [file:line]} prefix of a message. */
    @Override
    public String toString() {
        return "[" + file + ":" + line + "]";
    }
}
