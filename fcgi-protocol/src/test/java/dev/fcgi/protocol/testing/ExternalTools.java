package dev.fcgi.protocol.testing;

import org.junit.jupiter.api.Assumptions;

import java.io.File;
import java.util.Optional;

/**
 * Finds the external programs interop tests run (nginx, php-cgi, php-fpm, cgi-fcgi, haproxy, apache2, lighttpd).
 * When one is missing the test is skipped with a message that names it, unless the environment has {@code CI=true}
 * (as .ci/run sets) or the system property {@code fcgi.interop.required} is {@code true}, in which case the test
 * fails.
 */
public final class ExternalTools {

    private ExternalTools() {
    }

    /** The path of the first of {@code names} found on PATH, /usr/sbin or /usr/bin, or empty. */
    public static Optional<String> find(String... names) {
        String path = System.getenv().getOrDefault("PATH", "") + File.pathSeparator + "/usr/sbin:/usr/bin:/sbin:/bin";
        for (String name : names) {
            for (String dir : path.split(File.pathSeparator)) {
                File candidate = new File(dir, name);
                if (!dir.isEmpty() && candidate.isFile() && candidate.canExecute()) {
                    return Optional.of(candidate.getAbsolutePath());
                }
            }
        }
        return Optional.empty();
    }

    /** Whether a missing tool fails the test: on CI (environment CI=true) or with -Dfcgi.interop.required=true. */
    public static boolean isRequired() {
        return Boolean.getBoolean("fcgi.interop.required") || "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /** The path of the first of {@code names} found; skips (or, when required, fails) the test when none is. */
    public static String require(String... names) {
        Optional<String> found = find(names);
        if (found.isEmpty()) {
            String message = "SKIPPED: " + String.join(" or ", names) + " is not installed"
                    + " (apt-get install nginx php8.2-cgi php8.2-fpm libfcgi-bin spawn-fcgi haproxy apache2 lighttpd curl procps,"
                    + " as .ci/run does)";
            if (isRequired()) {
                throw new AssertionError(message + ", and interop tests are required here (CI)");
            }
            System.err.println(message);
            Assumptions.abort(message);
        }
        return found.get();
    }
}
