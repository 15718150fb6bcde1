package dev.fcgi.pool;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * FPM's slowlog: a request running longer than {@code request_slowlog_timeout} is logged once, with a WARNING in
 * FPM's words and an entry in the slowlog file that names the worker, the script and the worker thread's Java
 * stack (FPM dumps the PHP stack by ptrace, which needs CAP_SYS_PTRACE; a thread's stack needs nothing).
 * <pre>
 *
 * [22-Nov-2026 10:01:02]  [pool www] pid 3
 * script_filename = /var/www/index.php
 * [0x0000000000000000] java.lang.Thread.sleep() Thread.java:558
 * [0x0000000000000001] com.example.App.handle() App.java:42
 * </pre>
 * A child process's entry names its request instead, as {@code request = "GET /slow.php?id=1"}, followed by
 * {@code +++ no backtrace: ...}.
 */
final class SlowLog {

    private static final Logger logger = LoggerFactory.getLogger(SlowLog.class);
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("dd-MMM-yyyy HH:mm:ss", Locale.ROOT);

    private final String pool;
    private final Path file;
    private final int traceDepth;

    SlowLog(String pool, Path file, int traceDepth) {
        this.pool = pool;
        this.file = file;
        this.traceDepth = traceDepth;
    }

    /** The script as FPM's messages name it, {@code -} when unknown. */
    static String script(RequestInfo request) {
        return request == null || request.script() == null ? "-" : request.script();
    }

    /** The request as FPM's messages quote it: method, URI and query. */
    static String requestLine(RequestInfo request) {
        return request == null ? "" : request.method() + " " + request.uriWithQuery();
    }

    /** Seconds with microseconds, as FPM prints durations ({@code 2.000123}). */
    static String seconds(long nanos) {
        return nanos / 1_000_000_000L + "." + String.format(Locale.ROOT, "%06d", nanos % 1_000_000_000L / 1000);
    }

    /**
     * Logs one slow request of worker {@code workerId}, whose thread's stack is {@code stack}, or {@code null} for
     * a child process (its entry names the request, and says that there is no backtrace: a PHP stack needs ptrace).
     */
    void log(long workerId, RequestInfo request, long elapsedNanos, StackTraceElement[] stack, ZonedDateTime now) {
        String script = script(request);
        logger.warn("[pool {}] child {}, script '{}' (request: \"{}\") executing too slow ({} sec), logging", pool,
                workerId, script, requestLine(request), seconds(elapsedNanos));
        if (file == null) {
            return;
        }
        StringBuilder entry = new StringBuilder(512).append('\n')
                .append('[').append(TIME.format(now)).append("]  [pool ").append(pool).append("] pid ")
                .append(workerId).append('\n')
                .append("script_filename = ").append(script).append('\n');
        if (stack == null) {
            entry.append("request = \"").append(requestLine(request)).append("\"\n")
                    .append("+++ no backtrace: the worker is a child process (a PHP backtrace needs ptrace)\n");
            stack = new StackTraceElement[0];
        } else if (stack.length == 0) {
            entry.append("+++ dump failed\n");
        }
        for (int i = 0; i < Math.min(traceDepth, stack.length); i++) {
            StackTraceElement frame = stack[i];
            entry.append(String.format(Locale.ROOT, "[0x%016x] ", i)).append(frame.getClassName()).append('.')
                    .append(frame.getMethodName()).append("() ")
                    .append(frame.getFileName() == null ? "???" : frame.getFileName()).append(':')
                    .append(frame.getLineNumber()).append('\n');
        }
        try {
            Files.writeString(file, entry, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND, StandardOpenOption.WRITE);
        } catch (IOException e) {
            logger.error("[pool {}] cannot write the slowlog {}: {}", pool, file, e.toString());
        }
    }
}
