package dev.fcgi.examples.fpm;

import dev.fcgi.pool.config.FpmGlobalConfig.LogLevel;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * The daemon's log, in php-fpm's format: {@code [22-Nov-2026 10:01:02] NOTICE: fpm is running, pid 1234}. Every
 * SLF4J logger of the examples jar writes here ({@link FpmLogServiceProvider}): to stderr, or to the
 * {@code error_log} file, which {@link #reopen()} opens again after a log rotation (FPM's SIGUSR1). Levels are
 * FPM's: DEBUG, NOTICE (SLF4J's info), WARNING, ERROR; {@code log_level} filters them.
 */
public final class FpmLog {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("dd-MMM-yyyy HH:mm:ss", Locale.ROOT);
    private static volatile LogLevel level = LogLevel.NOTICE;
    private static volatile Path file;
    private static PrintStream out = System.err;

    private FpmLog() {
    }

    /** {@code log_level}: messages below it are dropped. Default NOTICE. */
    public static void level(LogLevel minimum) {
        level = minimum;
    }

    /** Whether a message at {@code l} is written. */
    static boolean enabled(LogLevel l) {
        return l.compareTo(level) >= 0;
    }

    /** {@code error_log}: write to {@code path} (appending), or to stderr for {@code null}. */
    public static synchronized void file(Path path) throws IOException {
        PrintStream next = path == null ? System.err : open(path);
        PrintStream previous = out;
        out = next;
        file = path;
        if (previous != System.err) {
            previous.close();
        }
    }

    /** Opens the {@code error_log} file again (after logrotate moved it): FPM's SIGUSR1. */
    public static synchronized void reopen() throws IOException {
        if (file != null) {
            file(file);
        }
    }

    private static PrintStream open(Path path) throws IOException {
        return new PrintStream(new FileOutputStream(path.toFile(), true), true, StandardCharsets.UTF_8);
    }

    /** Writes one line (and the stack of {@code failure}, if any) in FPM's format. */
    static void write(LogLevel l, String message, Throwable failure) {
        String line = "[" + TIME.format(LocalDateTime.now()) + "] " + l + ": " + message;
        synchronized (FpmLog.class) {
            out.println(line);
            if (failure != null) {
                failure.printStackTrace(out);
            }
        }
    }
}
