package dev.fcgi.benchmarks.soak;

import java.util.HashMap;
import java.util.Map;

/**
 * What {@link SoakHandler} counted, over every pool and reload of the server's JVM, written as one line
 * ({@code answered=120 unfinished=0 abort-calls=3 aborts-seen=3 rejected=0}) on the totals page and, when the JVM
 * exits, on its standard error after {@value #EXIT_PREFIX}.
 *
 * @param answered   calls the driver does not abort whose answer the handler finished
 * @param unfinished calls the driver does not abort that ended with an exception (an abort, a failed write): an
 *                   accepted request that did not get its answer, so 0 is expected
 * @param abortCalls calls the driver aborts on purpose that reached a handler
 * @param abortsSeen of those, the ones whose abort reached the handler before it finished
 * @param rejected   calls answered 400: an id header that differs from the query's, or a malformed query
 */
public record SoakTotals(long answered, long unfinished, long abortCalls, long abortsSeen, long rejected) {

    /** What the handler writes before its totals on standard error when the server's JVM exits. */
    public static final String EXIT_PREFIX = "soak-handler totals at exit: ";

    /** The line: {@code answered=N unfinished=N abort-calls=N aborts-seen=N rejected=N}. */
    public String format() {
        return "answered=" + answered + " unfinished=" + unfinished + " abort-calls=" + abortCalls + " aborts-seen="
                + abortsSeen + " rejected=" + rejected;
    }

    /**
     * Reads a line written by {@link #format()}.
     *
     * @throws IllegalArgumentException when a count is missing
     */
    public static SoakTotals parse(String line) {
        Map<String, Long> counts = new HashMap<>();
        for (String pair : line.strip().split("\\s+")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                try {
                    counts.put(pair.substring(0, eq), Long.parseLong(pair.substring(eq + 1)));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("not a count: '" + pair + "' in '" + line + "'", e);
                }
            }
        }
        return new SoakTotals(count(counts, "answered", line), count(counts, "unfinished", line),
                count(counts, "abort-calls", line), count(counts, "aborts-seen", line),
                count(counts, "rejected", line));
    }

    private static long count(Map<String, Long> counts, String name, String line) {
        Long n = counts.get(name);
        if (n == null) {
            throw new IllegalArgumentException("no " + name + "= in '" + line + "'");
        }
        return n;
    }
}
