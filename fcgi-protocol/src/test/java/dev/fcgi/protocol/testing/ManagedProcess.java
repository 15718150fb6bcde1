package dev.fcgi.protocol.testing;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A child process a test started, with its standard output and error going to files, which {@link #close()}
 * stops by its PID: SIGTERM ({@link Process#destroy()}), a bounded wait, then SIGKILL
 * ({@link Process#destroyForcibly()}); children it forked (an nginx worker) are stopped the same way, by PID.
 * Never stops anything by name.
 */
public final class ManagedProcess implements AutoCloseable {

    private static final Duration STOP_GRACE = Duration.ofSeconds(10);

    private final String name;
    private final Process process;
    private final Path stdout;
    private final Path stderr;
    private final List<ProcessHandle> forked = new ArrayList<>();

    private ManagedProcess(String name, Process process, Path stdout, Path stderr) {
        this.name = name;
        this.process = process;
        this.stdout = stdout;
        this.stderr = stderr;
    }

    /**
     * Starts {@code command} with standard input from {@code stdin} (or /dev/null when null) and output to
     * {@code <name>.out} and {@code <name>.err} in {@code logDirectory}; {@code environment} is added to the
     * test's environment, or replaces it when {@code clearEnvironment}.
     */
    public static ManagedProcess start(String name, List<String> command, Path logDirectory,
                                       Map<String, String> environment, boolean clearEnvironment, Path stdin)
            throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command);
        if (clearEnvironment) {
            builder.environment().clear();
        }
        builder.environment().putAll(environment);
        Path out = logDirectory.resolve(name + ".out");
        Path err = logDirectory.resolve(name + ".err");
        builder.redirectInput(ProcessBuilder.Redirect.from(stdin == null ? new File("/dev/null") : stdin.toFile()));
        builder.redirectOutput(out.toFile());
        builder.redirectError(err.toFile());
        return new ManagedProcess(name, builder.start(), out, err);
    }

    /** Starts {@code command} with the test's environment. */
    public static ManagedProcess start(String name, List<String> command, Path logDirectory) throws IOException {
        return start(name, command, logDirectory, Map.of(), false, null);
    }

    public long pid() {
        return process.pid();
    }

    /** What the process wrote to standard output so far, as bytes. */
    public byte[] stdoutBytes() {
        try {
            return Files.exists(stdout) ? Files.readAllBytes(stdout) : new byte[0];
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Process process() {
        return process;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public Path stdoutFile() {
        return stdout;
    }

    public Path stderrFile() {
        return stderr;
    }

    /** What the process wrote to standard output so far. */
    public String stdout() {
        return read(stdout);
    }

    /** What the process wrote to standard error so far. */
    public String stderr() {
        return read(stderr);
    }

    /** Both outputs, for failure messages. */
    public String describe() {
        String state = process.isAlive() ? "running" : "exited with " + process.exitValue();
        return name + " (pid " + pid() + ", " + state + ")\n--- stdout:\n" + tail(stdout()) + "\n--- stderr:\n"
                + tail(stderr());
    }

    /** Waits for the process to exit on its own; returns its exit code, or fails after {@code timeout}. */
    public int waitFor(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError(name + " did not exit within " + timeout.toMillis() + " ms\n" + describe());
        }
        return process.exitValue();
    }

    /** Stops the process and its descendants by PID (SIGTERM, then SIGKILL after a grace period). Idempotent. */
    @Override
    public void close() {
        forked.addAll(process.descendants().toList());
        stop(process.toHandle());
        for (ProcessHandle child : forked) {
            stop(child);
        }
    }

    /** Stops one process by PID: SIGTERM, then SIGKILL when it has not exited after a grace period. */
    public static void stop(ProcessHandle handle) {
        if (!handle.isAlive()) {
            return;
        }
        handle.destroy();
        try {
            handle.onExit().get(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            handle.destroyForcibly();
            try {
                handle.onExit().get(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
            } catch (Exception ignored) {
                // reported by the caller's assertions if it matters
            }
        }
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? new String(Files.readAllBytes(file), StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String tail(String text) {
        return text.length() <= 4000 ? text : "..." + text.substring(text.length() - 4000);
    }

    /** The java program running this test, for child JVMs of the same version. */
    public static String javaCommand() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    @Override
    public String toString() {
        return name + " (pid " + pid() + ")";
    }
}
