package dev.fcgi.examples.interop;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/** The shaded examples jar, for tests that run the echo example as a separate JVM. */
final class ExamplesJar {

    private ExamplesJar() {
    }

    /**
     * The jar that {@code mvn package} builds (failsafe passes its path as {@code fcgi.examples.jar}); skips the
     * test when it is absent (fails it when {@code fcgi.interop.required} is set).
     */
    static Path require() {
        Path jar = Path.of(System.getProperty("fcgi.examples.jar", "target/fcgi-examples.jar")).toAbsolutePath();
        if (!Files.isRegularFile(jar)) {
            String message = "SKIPPED: " + jar + " is missing: run the *IT tests with mvn verify, after package";
            if (dev.fcgi.protocol.testing.ExternalTools.isRequired()) {
                throw new AssertionError(message + ", and interop tests are required here (CI)");
            }
            System.err.println(message);
            Assumptions.abort(message);
        }
        return jar;
    }
}
