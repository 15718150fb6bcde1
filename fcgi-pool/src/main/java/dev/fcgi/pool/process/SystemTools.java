package dev.fcgi.pool.process;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * What the JVM has no API for, asked of Linux: executables on the PATH, the process's uid and nice value, and
 * the ids of a user or group ({@code id}, {@code getent}, so that NSS users count too).
 */
final class SystemTools {

    private SystemTools() {
    }

    /**
     * The executable file {@code name} names: itself when it contains a slash, else the first match on the
     * JVM's PATH.
     */
    static Optional<Path> find(String name) {
        if (name.indexOf('/') >= 0) {
            Path path = Path.of(name);
            return Files.isRegularFile(path) && Files.isExecutable(path) ? Optional.of(path.toAbsolutePath())
                    : Optional.empty();
        }
        String pathVariable = System.getenv("PATH");
        String searched = pathVariable == null || pathVariable.isEmpty() ? "/usr/local/bin:/usr/bin:/bin"
                : pathVariable;
        for (String dir : searched.split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** The tool {@code name} from the PATH, or an error saying what needs it and where it comes from. */
    static Path require(String name, String neededFor, String packageName) {
        return find(name).orElseThrow(() -> new IllegalStateException(neededFor + " needs the '" + name
                + "' program (" + packageName + "), which is not on the PATH (" + System.getenv("PATH") + ")"));
    }

    /** Whether the JVM runs as root (effective uid 0). */
    static boolean isRoot() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    String[] ids = line.substring(4).trim().split("\\s+");
                    return ids.length > 1 && ids[1].equals("0");
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: fall through
        }
        return "root".equals(System.getProperty("user.name"));
    }

    /** The JVM's nice value (field 19 of /proc/self/stat), 0 when unknown. */
    static int currentNice() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Integer.parseInt(fields[16]);    // field 19 overall; fields here start at field 3
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** {@code id -u user} and {@code id -g user}: the user's uid and primary gid, or empty when there is none. */
    static Optional<long[]> userIds(String user) {
        Optional<String> uid = run("id", "-u", "--", user);
        Optional<String> gid = run("id", "-g", "--", user);
        if (uid.isEmpty() || gid.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(new long[] {Long.parseLong(uid.get()), Long.parseLong(gid.get())});
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** The gid of {@code group} (a name, or a number), or empty when there is none. */
    static Optional<Long> groupId(String group) {
        if (group.chars().allMatch(Character::isDigit)) {
            return Optional.of(Long.parseLong(group));
        }
        return run("getent", "group", group).map(line -> line.split(":")).filter(f -> f.length > 2)
                .flatMap(f -> {
                    try {
                        return Optional.of(Long.parseLong(f[2]));
                    } catch (NumberFormatException e) {
                        return Optional.empty();
                    }
                });
    }

    /** Whether {@code tool --help} mentions {@code option} (util-linux's setpriv has --pdeathsig since 2.33). */
    static boolean mentionsOption(Path tool, String option) {
        return runAll(tool.toString(), "--help").map(help -> help.contains(option)).orElse(false);
    }

    /** Runs a short command and returns its first line of output, or empty when it fails. */
    private static Optional<String> run(String... command) {
        return runAll(command).map(text -> text.lines().findFirst().orElse(""));
    }

    /** Runs a short command and returns its output, or empty when it fails. */
    private static Optional<String> runAll(String... command) {
        Optional<Path> program = find(command[0]);
        if (program.isEmpty()) {
            return Optional.empty();
        }
        try {
            Process process = new ProcessBuilder(List.of(command)).redirectErrorStream(true).start();
            process.getOutputStream().close();
            byte[] out = process.getInputStream().readNBytes(65536);
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return Optional.empty();
            }
            String text = new String(out, StandardCharsets.UTF_8).strip();
            return process.exitValue() == 0 && !text.isEmpty() ? Optional.of(text) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }
}
