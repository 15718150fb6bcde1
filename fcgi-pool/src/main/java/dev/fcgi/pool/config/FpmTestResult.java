package dev.fcgi.pool.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * The outcome of {@code php-fpm -t}: {@link FpmConfig#test} read and checked a configuration.
 *
 * @param file    the configuration file tested
 * @param notices the notices and warnings found, in order, also when the test failed (php-fpm logs them before
 *                the error)
 * @param error   the error, in FPM's words, or {@code null} when the test is successful
 */
public record FpmTestResult(Path file, List<String> notices, String error) {

    /** Copies the notices. */
    public FpmTestResult {
        Objects.requireNonNull(file, "file");
        notices = List.copyOf(notices);
    }

    /** Whether the configuration is good: php-fpm -t exits 0. */
    public boolean successful() {
        return error == null;
    }

    /**
     * FPM's last line: {@code configuration file /etc/php-fpm.conf test is successful} (a NOTICE), or the error (an
     * ERROR, after which php-fpm also logs {@code FPM initialization failed}).
     */
    public String message() {
        return successful() ? "configuration file " + file + " test is successful" : error;
    }
}
