package dev.fcgi.benchmarks.soak;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Tells the {@code fpm} daemon what to do, as an operator does: SIGHUP to reload its configuration, SIGWINCH to
 * stop gracefully (sent with the {@code kill} program, as {@code fpm -s} does). Before each reload it alternates
 * {@code pm.max_children} in the configuration between its value and that value + 2, so that every reload starts
 * pools of another shape.
 */
final class ServerControl {

    private static final Pattern MAX_CHILDREN = Pattern.compile("(?m)^(\\s*pm\\.max_children\\s*=\\s*)(\\d+)\\s*$");
    private static final Duration KILL_TIMEOUT = Duration.ofSeconds(10);

    private final long pid;
    private final Path config;
    private int reloads;

    /** The daemon with process id {@code pid}, running {@code config} (null: reloads change nothing). */
    ServerControl(long pid, Path config) {
        this.pid = pid;
        this.config = config;
    }

    /** Whether the daemon runs. */
    boolean isAlive() {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    /** Waits up to {@code timeout} for the daemon to exit; whether it did. */
    boolean awaitExit(Duration timeout) throws InterruptedException {
        Optional<ProcessHandle> handle = ProcessHandle.of(pid);
        if (handle.isEmpty()) {
            return true;
        }
        try {
            handle.get().onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (ExecutionException | TimeoutException e) {
            return !handle.get().isAlive();
        }
    }

    /** Rewrites {@code pm.max_children} (alternately +2 and back), then sends SIGHUP. */
    void reload() throws IOException, InterruptedException {
        if (config != null) {
            String text = Files.readString(config, StandardCharsets.UTF_8);
            Matcher m = MAX_CHILDREN.matcher(text);
            if (m.find()) {
                int value = Integer.parseInt(m.group(2));
                int next = reloads % 2 == 0 ? value + 2 : value - 2;
                Files.writeString(config, m.replaceFirst("$1" + next), StandardCharsets.UTF_8);
            }
        }
        reloads++;
        signal("HUP");
    }

    /** Sends SIGWINCH: running and queued requests finish, new ones are refused, then the daemon exits. */
    void gracefulStop() throws IOException, InterruptedException {
        signal("WINCH");
    }

    private void signal(String name) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder(List.of("kill", "-s", name, Long.toString(pid)))
                .redirectErrorStream(true).start();
        if (!kill.waitFor(KILL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            kill.destroyForcibly();
            throw new IOException("kill -s " + name + " " + pid + " did not return within " + KILL_TIMEOUT);
        }
        if (kill.exitValue() != 0) {
            throw new IOException("kill -s " + name + " " + pid + " failed: "
                    + new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip());
        }
    }
}
