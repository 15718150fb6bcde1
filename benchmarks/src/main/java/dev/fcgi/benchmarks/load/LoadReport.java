package dev.fcgi.benchmarks.load;

import org.HdrHistogram.Histogram;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The outcome of a run: latency percentiles, throughput, responses by status class, errors by kind, written as a
 * wrk-like summary ({@link #text()}) or one line of JSON ({@link #json()}). Latencies are in microseconds; the
 * counts and rates cover the measured requests only (not the warm-up).
 */
final class LoadReport {

    /** The percentiles reported, as HdrHistogram takes them. */
    static final double[] PERCENTILES = {50, 90, 99, 99.9};

    /**
     * How the run was set up, for the report.
     *
     * @param target      the backend's address
     * @param connections virtual users (closed loop) or connections (open loop)
     * @param threads     I/O threads
     * @param keepConn    whether connections were kept
     * @param multiplex   requests per connection at once (1: no multiplexing)
     * @param rate        the target rate in requests/s, or 0 for a closed loop
     * @param kinds       the request kinds, in mix order
     * @param weights     their weights
     */
    record Run(String target, int connections, int threads, boolean keepConn, int multiplex, double rate,
               List<String> kinds, List<Integer> weights) {

        /** One line saying what is being run, printed before it starts. */
        String describe(String duration) {
            return "fcgi-load " + duration + " @ " + target + ": " + connections + " connection"
                    + (connections == 1 ? "" : "s") + ", keep-conn " + (keepConn ? "on" : "off") + ", "
                    + (multiplex > 1 ? "up to " + multiplex + " requests per connection" : "no multiplexing")
                    + ", " + threads + " thread" + (threads == 1 ? "" : "s") + ", "
                    + (rate > 0 ? "open loop at " + number(rate) + " requests/s" : "closed loop");
        }
    }

    /**
     * How the run ended.
     *
     * @param elapsedNanos     the time measured (from the end of the warm-up)
     * @param cpuNanos         the CPU time the process used meanwhile, or -1 when not known
     * @param inFlight         requests still waiting for their response when the run ended (not counted)
     * @param longestWaitNanos how long the oldest of them had been waiting
     */
    record End(long elapsedNanos, long cpuNanos, int inFlight, long longestWaitNanos) {
    }

    private final Run run;
    private final long elapsedNanos;
    private final long cpuNanos;
    private final int inFlight;
    private final long longestWaitNanos;
    private final Histogram latency;
    private final long[] statusClasses;
    private final long bodyBytes;
    private final long stderrResponses;
    private final long[] errors;
    private final List<String> firstErrors;
    private final long[] kindCounts;

    LoadReport(Run run, End end, Histogram latency, long[] statusClasses, long bodyBytes, long stderrResponses,
               long[] errors, List<String> firstErrors, long[] kindCounts) {
        this.run = run;
        this.elapsedNanos = Math.max(1, end.elapsedNanos());
        this.cpuNanos = end.cpuNanos();
        this.inFlight = end.inFlight();
        this.longestWaitNanos = end.longestWaitNanos();
        this.latency = latency;
        this.statusClasses = statusClasses.clone();
        this.bodyBytes = bodyBytes;
        this.stderrResponses = stderrResponses;
        this.errors = errors.clone();
        this.firstErrors = List.copyOf(firstErrors);
        this.kindCounts = kindCounts.clone();
    }

    Run run() {
        return run;
    }

    /** Measured requests that got a complete response, whatever its status. */
    long responses() {
        return latency.getTotalCount();
    }

    /** Measured requests that failed. */
    long errors() {
        long sum = 0;
        for (long e : errors) {
            sum += e;
        }
        return sum;
    }

    long errors(ErrorKind kind) {
        return errors[kind.ordinal()];
    }

    /** The first message of an error of this kind, or "". */
    String firstError(ErrorKind kind) {
        return firstErrors.get(kind.ordinal());
    }

    /** Responses with status {@code n}xx ({@code n} from 1 to 5), or with a status outside 100..599 for 0. */
    long statusClass(int n) {
        return statusClasses[n];
    }

    long bodyBytes() {
        return bodyBytes;
    }

    long stderrResponses() {
        return stderrResponses;
    }

    /** Requests of the mix's kind {@code i}, with a response or not. */
    long kindCount(int i) {
        return kindCounts[i];
    }

    /**
     * Requests still waiting for their response when the run ended, not counted anywhere else: up to one per
     * user normally, for moments; a long {@link #longestWaitMicros() wait} shows requests the backend left
     * unanswered (php-fpm with more kept connections than children accepts only as many as it has children).
     */
    int inFlight() {
        return inFlight;
    }

    long longestWaitMicros() {
        return longestWaitNanos / 1000;
    }

    double seconds() {
        return elapsedNanos / 1e9;
    }

    double requestsPerSecond() {
        return responses() / seconds();
    }

    /** The CPU this process used while measuring, in cores (1.5: one and a half CPUs busy); -1 when not known. */
    double cpuCores() {
        return cpuNanos < 0 ? -1 : (double) cpuNanos / elapsedNanos;
    }

    /** The CPU this process used per measured request, in microseconds; -1 when not known. */
    double cpuMicrosPerRequest() {
        long requests = responses() + errors();
        return cpuNanos < 0 || requests == 0 ? -1 : cpuNanos / 1000.0 / requests;
    }

    /** The latency at {@code percentile} (50, 99.9...) in microseconds; 0 without responses. */
    long percentileMicros(double percentile) {
        return latency.getTotalCount() == 0 ? 0 : latency.getValueAtPercentile(percentile);
    }

    long maxMicros() {
        return latency.getTotalCount() == 0 ? 0 : latency.getMaxValue();
    }

    double meanMicros() {
        return latency.getTotalCount() == 0 ? 0 : latency.getMean();
    }

    double stdevMicros() {
        return latency.getTotalCount() == 0 ? 0 : latency.getStdDeviation();
    }

    /** A summary in wrk's layout, several lines, ending with a newline. */
    String text() {
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "  Latency   %10s %10s %10s%n", "mean", "stdev", "max"));
        s.append(String.format(Locale.ROOT, "            %10s %10s %10s%n", micros(meanMicros()),
                micros(stdevMicros()), micros(maxMicros())));
        s.append("  Latency distribution\n");
        for (double p : PERCENTILES) {
            s.append(String.format(Locale.ROOT, "    %6.1f%% %10s%n", p, micros(percentileMicros(p))));
        }
        s.append(String.format(Locale.ROOT, "  %d responses in %.2fs, %s of response bodies%n", responses(),
                seconds(), bytes(bodyBytes)));
        s.append(String.format(Locale.ROOT, "  Status: 2xx %d, 3xx %d, 4xx %d, 5xx %d", statusClasses[2],
                statusClasses[3], statusClasses[4], statusClasses[5]));
        if (statusClasses[1] + statusClasses[0] > 0) {
            s.append(", 1xx ").append(statusClasses[1]).append(", other ").append(statusClasses[0]);
        }
        s.append('\n');
        if (errors() == 0) {
            s.append("  Errors: none\n");
        } else {
            s.append("  Errors: ").append(errors());
            for (ErrorKind kind : ErrorKind.values()) {
                s.append(", ").append(kind.label()).append(' ').append(errors(kind));
            }
            s.append('\n');
            for (ErrorKind kind : ErrorKind.values()) {
                if (errors(kind) > 0) {
                    s.append("    first ").append(kind.label()).append(" error: ").append(firstError(kind))
                            .append('\n');
                }
            }
        }
        if (inFlight > 0) {
            s.append("  In flight at the end: ").append(inFlight).append(", the longest waiting ")
                    .append(micros(longestWaitMicros())).append('\n');
        }
        s.append("  Stderr: ").append(stderrResponses).append(" response")
                .append(stderrResponses == 1 ? "" : "s").append(" with FCGI_STDERR output\n");
        if (run.kinds().size() > 1) {
            long total = 0;
            for (long n : kindCounts) {
                total += n;
            }
            s.append("  Mix:\n");
            for (int i = 0; i < kindCounts.length; i++) {
                s.append(String.format(Locale.ROOT, "    %5.1f%% %10d  %s%n",
                        total == 0 ? 0.0 : 100.0 * kindCounts[i] / total, kindCounts[i], run.kinds().get(i)));
            }
        }
        if (run.rate() > 0) {
            s.append(String.format(Locale.ROOT, "  Target rate: %s requests/s%n", number(run.rate())));
        }
        if (cpuMicrosPerRequest() >= 0) {
            s.append(String.format(Locale.ROOT, "  CPU (fcgi-load): %.2f cores, %s per request%n", cpuCores(),
                    micros(cpuMicrosPerRequest())));
        }
        s.append(String.format(Locale.ROOT, "Requests/sec: %10.2f%n", requestsPerSecond()));
        s.append(String.format(Locale.ROOT, "Transfer/sec: %10s%n", bytes(bodyBytes / seconds())));
        return s.toString();
    }

    /** One line of JSON (no newline); latencies in microseconds, durations in seconds. */
    String json() {
        JsonLine status = new JsonLine();
        for (int n = 1; n <= 5; n++) {
            status.put(n + "xx", statusClasses[n]);
        }
        status.put("other", statusClasses[0]);
        JsonLine errorCounts = new JsonLine();
        JsonLine errorMessages = new JsonLine();
        for (ErrorKind kind : ErrorKind.values()) {
            errorCounts.put(kind.label(), errors(kind));
            if (!firstError(kind).isEmpty()) {
                errorMessages.put(kind.label(), firstError(kind));
            }
        }
        List<JsonLine> kinds = new ArrayList<>();
        for (int i = 0; i < kindCounts.length; i++) {
            kinds.add(new JsonLine().put("kind", run.kinds().get(i)).put("weight", run.weights().get(i))
                    .put("requests", kindCounts[i]));
        }
        return new JsonLine()
                .put("target", run.target())
                .put("connections", run.connections())
                .put("threads", run.threads())
                .put("keep_conn", run.keepConn())
                .put("multiplex", run.multiplex())
                .put("rate", run.rate())
                .put("duration_s", seconds())
                .put("responses", responses())
                .put("errors_total", errors())
                .put("in_flight_at_end", inFlight)
                .put("longest_wait_at_end_us", longestWaitMicros())
                .put("requests_per_sec", requestsPerSecond())
                .put("body_bytes", bodyBytes)
                .put("body_bytes_per_sec", bodyBytes / seconds())
                .put("p50_us", percentileMicros(50))
                .put("p90_us", percentileMicros(90))
                .put("p99_us", percentileMicros(99))
                .put("p999_us", percentileMicros(99.9))
                .put("max_us", maxMicros())
                .put("mean_us", meanMicros())
                .put("stdev_us", stdevMicros())
                .put("cpu_cores", cpuCores() < 0 ? null : cpuCores())
                .put("cpu_us_per_request", cpuMicrosPerRequest() < 0 ? null : cpuMicrosPerRequest())
                .put("status", status)
                .put("errors", errorCounts)
                .put("first_errors", errorMessages)
                .put("stderr_responses", stderrResponses)
                .put("kinds", kinds)
                .toString();
    }

    // ---- formatting ---------------------------------------------------------------------------------------------

    /** A latency as wrk prints it: {@code 850.00us}, {@code 1.23ms}, {@code 2.50s}. */
    static String micros(double micros) {
        if (micros < 1000) {
            return String.format(Locale.ROOT, "%.2fus", micros);
        }
        if (micros < 1_000_000) {
            return String.format(Locale.ROOT, "%.2fms", micros / 1000);
        }
        return String.format(Locale.ROOT, "%.2fs", micros / 1_000_000);
    }

    /** A byte count as wrk prints it (binary units): {@code 512.00B}, {@code 2.03MB}. */
    static String bytes(double bytes) {
        String[] units = {"B", "KB", "MB", "GB", "TB"};
        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.2f%s", value, units[unit]);
    }

    private static String number(double value) {
        return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
    }
}
