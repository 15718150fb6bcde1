package dev.fcgi.benchmarks.soak;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What the daemon wrote: its error_log (FPM's format, {@code [21-Nov-2026 10:00:00] NOTICE: ...}) and its standard
 * output and error, where {@link SoakHandler} writes its totals at exit and the JVM anything that bypasses the log.
 */
final class ServerLogs {

    private static final Pattern TIMESTAMP = Pattern.compile("^\\[[^]]*] ");
    private static final Pattern NUMBER = Pattern.compile("\\d+");
    /** A connection's id in the server's log lines: {@code unix:/run/soak.sock#39d47571}. */
    private static final Pattern CONNECTION_ID = Pattern.compile("#\\p{XDigit}{4,}\\b");

    /** One kind of log line and how often it came. */
    record LineClass(String line, long count) {
    }

    private final Path log;
    private final Path output;

    /** {@code output} may be null when the daemon's standard error is not kept. */
    ServerLogs(Path log, Path output) {
        this.log = log;
        this.output = output;
    }

    /** How many lines of the error_log contain {@code text}. */
    long count(String text) throws IOException {
        return lines(log).stream().filter(l -> l.contains(text)).count();
    }

    /**
     * The error_log's lines above NOTICE (WARNING, ERROR, ALERT) and the other lines of the output that are no
     * notice (exceptions, Netty's {@code LEAK:} reports, anything the JVM printed), each kind once with its count:
     * timestamps dropped, connection ids written ID and numbers N. The handler's totals line and the output's own notices are left
     * out.
     */
    List<LineClass> findings() throws IOException {
        Map<String, Long> classes = new LinkedHashMap<>();
        List<String> lines = new ArrayList<>();
        for (String line : lines(log)) {
            String text = TIMESTAMP.matcher(line).replaceFirst("");
            if (!text.startsWith("NOTICE: ") && !text.startsWith("DEBUG: ") && !line.startsWith("\t")
                    && !text.isBlank()) {
                lines.add(text);
            }
        }
        for (String line : lines(output)) {
            String text = TIMESTAMP.matcher(line).replaceFirst("");
            if (!text.startsWith(SoakTotals.EXIT_PREFIX) && !text.startsWith("NOTICE: ") && !line.startsWith("\t")
                    && !text.isBlank()) {
                lines.add(text);
            }
        }
        for (String text : lines) {
            String cut = text.length() > 300 ? text.substring(0, 300) : text;
            String shape = NUMBER.matcher(CONNECTION_ID.matcher(cut).replaceAll("#ID")).replaceAll("N");
            classes.merge(shape, 1L, Long::sum);
        }
        List<LineClass> list = new ArrayList<>();
        classes.forEach((line, count) -> list.add(new LineClass(line, count)));
        return list;
    }

    /** Lines with Netty's {@code LEAK:} report, in the error_log and the output. */
    long leaks() throws IOException {
        return lines(log).stream().filter(l -> l.contains("LEAK:")).count()
                + lines(output).stream().filter(l -> l.contains("LEAK:")).count();
    }

    /** The handler's totals that the daemon wrote when it exited, if it did. */
    Optional<SoakTotals> exitTotals() throws IOException {
        return lines(output).stream().filter(l -> l.startsWith(SoakTotals.EXIT_PREFIX)).reduce((a, b) -> b)
                .map(l -> SoakTotals.parse(l.substring(SoakTotals.EXIT_PREFIX.length())));
    }

    private static List<String> lines(Path file) throws IOException {
        if (file == null || !Files.exists(file)) {
            return List.of();
        }
        return List.of(new String(Files.readAllBytes(file), StandardCharsets.UTF_8).split("\n"));
    }
}
