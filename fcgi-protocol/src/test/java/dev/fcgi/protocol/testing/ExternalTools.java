package dev.fcgi.protocol.testing;

import org.junit.jupiter.api.Assumptions;

import java.io.File;
import java.util.Optional;

/**
 * Finds the external programs interop tests run (nginx, php-cgi, php-fpm, cgi-fcgi). When one is missing the
 * test is skipped with a message that names it, unless the system property {@code fcgi.interop.required} is
 * {@code true} (CI sets it), in which case the test fails.
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

    /** The path of the first of {@code names} found; skips (or, when required, fails) the test when none is. */
    public static String require(String... names) {
        Optional<String> found = find(names);
        if (found.isEmpty()) {
            String message = "SKIPPED: " + String.join(" or ", names) + " is not installed"
                    + " (apt-get install nginx php8.2-cgi php8.2-fpm libfcgi-bin spawn-fcgi, as .ci/run does)";
            if (Boolean.getBoolean("fcgi.interop.required")) {
                throw new AssertionError(message + ", and fcgi.interop.required is set");
            }
            System.err.println(message);
            Assumptions.abort(message);
        }
        return found.get();
    }
}
