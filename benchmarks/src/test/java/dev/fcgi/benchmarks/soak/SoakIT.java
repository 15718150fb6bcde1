package dev.fcgi.benchmarks.soak;

import dev.fcgi.protocol.testing.Await;
import dev.fcgi.protocol.testing.ExternalTools;
import dev.fcgi.protocol.testing.ManagedProcess;
import dev.fcgi.protocol.testing.NginxProcess;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The soak in short, as the build runs it: the {@code fpm} daemon of the examples jar with
 * {@code benchmarks/soak-fpm.conf} and {@link SoakHandler} (Netty's leak detector at PARANOID), nginx in front,
 * and {@link Soak} in this JVM: 10 s of mixed traffic through nginx and FcgiClient with two reloads (SIGHUP), then
 * a graceful stop (SIGWINCH) under load. Asserted: no error, the handler's totals equal the answers checked before
 * the stop and at exit (nothing lost, nothing run twice), every reload confirmed, the daemon exits 0 within its
 * timeout, no {@code LEAK:} in its log, and answers on both routes. Heap and threads are measured and reported, not
 * asserted: a run this short says little about them ({@code benchmarks/soak.sh} is the long run). Needs the
 * examples jar ({@code mvn verify}) and nginx: skipped without them, failed on CI.
 */
class SoakIT {

    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void shortSoakWithReloadsAndAGracefulStopLosesNothing() throws Exception {
        Path jar = examplesJar();
        Path conf = Files.copy(Path.of("soak-fpm.conf"), dir.resolve("fpm.conf"));
        Path log = dir.resolve("fpm.log");
        Path handlerClasses = Path.of(SoakHandler.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<String> command = List.of(ManagedProcess.javaCommand(), "-Xmx128m", "--enable-native-access=ALL-UNNAMED",
                "-Dio.netty.leakDetection.level=paranoid", "-Dio.netty.leakDetectionLevel=paranoid",
                "-cp", jar + File.pathSeparator + handlerClasses, "dev.fcgi.examples.Examples", "fpm",
                "-y", conf.toString(), "-R");   // a Java handler pool in a daemon that may run as root (CI does)
        try (ManagedProcess daemon = ManagedProcess.start("fpm", command, dir, Map.of("SOAK_DIR", dir.toString()),
                false, null)) {
            Await.until(WAIT, () -> !daemon.isAlive() || read(log).contains("NOTICE: ready to handle connections"),
                    () -> "the daemon ready\n" + daemon.describe() + "\n--- error_log:\n" + read(log));
            assertTrue(daemon.isAlive(), () -> daemon.describe() + "\n--- error_log:\n" + read(log));
            try (NginxProcess nginx = NginxProcess.builder(dir.resolve("nginx")).upstream("unix:" + dir.resolve(
                    "soak.sock")).locationDirective("fastcgi_request_buffering off;").start()) {
                SoakOptions options = SoakOptions.parse(List.of("--nginx", nginx.uri("").toString(),
                        "--fcgi", "unix:" + dir.resolve("soak.sock"), "--server-pid", Long.toString(daemon.pid()),
                        "--server-log", log.toString(), "--server-output", daemon.stderrFile().toString(),
                        "--config", conf.toString(), "--nginx-error-log", nginx.errorLogFile().toString(),
                        "--warmup", "2s", "--duration", "10s", "--reload-every", "4s", "--sample-every", "5s",
                        "--users", "6", "--client-users", "2", "--graceful-stop", "--stop-after", "2s",
                        "--stop-timeout", "40s", "--settle-timeout", "20s", "--timeout", "30s"));
                ByteArrayOutputStream progress = new ByteArrayOutputStream();
                SoakResult result;
                try (PrintStream out = new PrintStream(progress, true, StandardCharsets.UTF_8)) {
                    result = Soak.run(options, out);
                }
                String report = SoakReport.render(result) + "\n--- progress:\n" + progress.toString(StandardCharsets.UTF_8)
                        + "\n" + nginx.describe();
                System.out.println(SoakReport.render(result));
                assertTrue(result.correct(), report);
                assertEquals(2, result.reloads().confirmed(), report);
                assertTrue(result.stop().exited(), report);
                assertEquals(0, daemon.waitFor(WAIT), () -> "exit code after SIGWINCH\n" + daemon.describe());
                for (SoakKind.Route route : SoakKind.Route.values()) {
                    long answered = SoakKind.of(route).stream().mapToLong(k -> result.tally().total(k).ok()).sum();
                    assertTrue(answered > 0, () -> "answers checked through " + route.label() + "\n" + report);
                }
            }
        }
    }

    /** The shaded examples jar ({@code mvn verify} builds it before this module's integration tests). */
    private static Path examplesJar() {
        Path jar = Path.of(System.getProperty("fcgi.examples.jar", "../fcgi-examples/target/fcgi-examples.jar"))
                .toAbsolutePath();
        if (!Files.isRegularFile(jar)) {
            String message = "SKIPPED: " + jar + " is missing: run this test with mvn verify";
            if (ExternalTools.isRequired()) {
                throw new AssertionError(message + ", and it is required here (CI)");
            }
            System.err.println(message);
            Assumptions.abort(message);
        }
        return jar;
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }
}
