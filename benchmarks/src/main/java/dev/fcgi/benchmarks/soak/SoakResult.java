package dev.fcgi.benchmarks.soak;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Everything a soak run saw, for {@link SoakReport}, with its verdict: the checks, each of correctness (no error,
 * nothing lost, no leak) or of footprint (heap and threads flat).
 *
 * @param options   the run's options
 * @param tally     the calls and their outcomes
 * @param start     the server after the warm-up, once its pool settled
 * @param end       the server after the main phase, once its pool settled
 * @param samples   the server during the main phase
 * @param reloads   the reloads sent, and how many the daemon confirmed
 * @param totals    the handler's totals after the final checks
 * @param stop      the graceful stop, or null without one
 * @param findings  the daemon's log lines above NOTICE and other output, by kind
 * @param leaks     the daemon's lines with Netty's {@code LEAK:} report
 * @param checks    the verdict
 * @param elapsed   how long the run took
 */
record SoakResult(SoakOptions options, SoakTally tally, Sample start, Sample end, List<Sample> samples,
                  Reloads reloads, Totals totals, Stop stop, List<ServerLogs.LineClass> findings, long leaks,
                  List<Check> checks, Duration elapsed) {

    /** The server at one moment, after a full collection. */
    record Sample(String label, Duration at, long calls, ServerProbe.JvmState jvm, PoolStatus pool) {
    }

    /** The pool's processes as its status page counts them. */
    record PoolStatus(long total, long idle, long active) {
    }

    /** The reloads of the main phase: sent, confirmed in the log, refused, and the longest wait for a confirmation. */
    record Reloads(int sent, long confirmed, long refused, Duration longestConfirmation) {
    }

    /**
     * The handler's totals at one moment (null when they could not be read), and the answers the driver had checked
     * by then, which the handler's {@code answered} must equal.
     */
    record Totals(SoakTotals handler, long checked) {

        /** Whether the handler answered exactly the calls the driver checked, and lost or refused none. */
        boolean match() {
            return handler != null && handler.answered() == checked && handler.unfinished() == 0
                    && handler.rejected() == 0;
        }

        String describe() {
            return (handler == null ? "handler: none" : "handler: " + handler.format()) + "; driver: " + checked
                    + " answers checked";
        }
    }

    /**
     * The graceful stop: whether and how fast the daemon exited after the signal, the handler's totals it wrote
     * when it did, the refusals by route and reason, and the causes nginx logged for its refusals.
     */
    record Stop(boolean exited, Duration toExit, Totals atExit, Map<String, Long> refusals,
                Map<String, Long> nginxCauses) {
    }

    /** One check of the verdict. */
    record Check(String name, boolean correctness, boolean passed, String detail) {
    }

    /** Whether every check passed. */
    boolean passed() {
        return checks.stream().allMatch(Check::passed);
    }

    /** Whether every correctness check passed (no error, nothing lost, no leak). */
    boolean correct() {
        return checks.stream().filter(Check::correctness).allMatch(Check::passed);
    }
}
