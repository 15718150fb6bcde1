package dev.fcgi.benchmarks;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Times on the command lines of the benchmark tools: {@code 500ms}, {@code 10s}, {@code 1.5s}, {@code 2m}, {@code 1h}. */
public final class Durations {

    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)?");

    private Durations() {
    }

    /**
     * Parses a time: {@code 500ms}, {@code 10s}, {@code 1.5s}, {@code 2m}, {@code 1h}; a bare number is seconds.
     *
     * @throws IllegalArgumentException naming {@code option} when the text is no such time or longer than a day
     */
    public static Duration parse(String option, String text) {
        Matcher m = DURATION.matcher(text.strip().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException(option + ": '" + text + "' (expected: a time such as 500ms, 10s,"
                    + " 2m)");
        }
        String unit = m.group(2) == null ? "s" : m.group(2);
        double nanosPerUnit = switch (unit) {
            case "ms" -> 1e6;
            case "s" -> 1e9;
            case "m" -> 60e9;
            default -> 3600e9;
        };
        double nanos = Double.parseDouble(m.group(1)) * nanosPerUnit;
        if (nanos > 24 * 3600e9) {
            throw new IllegalArgumentException(option + ": '" + text + "' is too long (expected: at most 1h)");
        }
        return Duration.ofNanos((long) nanos);
    }

    /** A duration as the options write it: {@code 500ms}, {@code 10s}, {@code 2m}, {@code 1h}. */
    public static String text(Duration d) {
        long millis = d.toMillis();
        if (millis % 3_600_000 == 0 && millis > 0) {
            return millis / 3_600_000 + "h";
        }
        if (millis % 60_000 == 0 && millis > 0) {
            return millis / 60_000 + "m";
        }
        if (millis % 1000 == 0) {
            return millis / 1000 + "s";
        }
        return millis + "ms";
    }
}
