package dev.fcgi.benchmarks.load;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the measured requests of a run came to, recorded from any thread without locks: latencies in an
 * HdrHistogram {@link Recorder} (microseconds, 3 significant digits, up to an hour), and counters of responses by
 * status class, body bytes, responses with FCGI_STDERR output, errors by {@link ErrorKind} (with the first message
 * of each), and requests by kind of the mix.
 */
final class LoadStats {

    /** The longest latency recorded; longer ones are recorded as this. */
    static final long MAX_LATENCY_MICROS = TimeUnit.HOURS.toMicros(1);

    private final Recorder latency = new Recorder(1, MAX_LATENCY_MICROS, 3);
    private final LongAdder[] statusClasses = adders(6);
    private final LongAdder bodyBytes = new LongAdder();
    private final LongAdder stderrResponses = new LongAdder();
    private final LongAdder[] errors = adders(ErrorKind.values().length);
    private final AtomicReferenceArray<String> firstErrors = new AtomicReferenceArray<>(ErrorKind.values().length);
    private final LongAdder[] kinds;

    LoadStats(int kinds) {
        this.kinds = adders(kinds);
    }

    private static LongAdder[] adders(int n) {
        LongAdder[] adders = new LongAdder[n];
        for (int i = 0; i < n; i++) {
            adders[i] = new LongAdder();
        }
        return adders;
    }

    /** A response arrived in full: its status, the body bytes read, whether it came with stderr output. */
    void response(int kind, int status, long bytes, boolean stderr, long latencyNanos) {
        latency.recordValue(Math.max(1, Math.min(MAX_LATENCY_MICROS, latencyNanos / 1000)));
        statusClasses[status >= 100 && status < 600 ? status / 100 : 0].increment();
        bodyBytes.add(bytes);
        if (stderr) {
            stderrResponses.increment();
        }
        kinds[kind].increment();
    }

    /** A request failed. */
    void error(int kind, Throwable error) {
        ErrorKind errorKind = ErrorKind.of(error);
        errors[errorKind.ordinal()].increment();
        if (firstErrors.get(errorKind.ordinal()) == null) {
            firstErrors.compareAndSet(errorKind.ordinal(), null, String.valueOf(ErrorKind.unwrap(error).getMessage()));
        }
        kinds[kind].increment();
    }

    /** The report of what was recorded so far, for a run that ended as {@code end} says. */
    LoadReport report(LoadReport.Run run, LoadReport.End end) {
        Histogram histogram = latency.getIntervalHistogram();
        long[] statuses = new long[statusClasses.length];
        for (int i = 0; i < statuses.length; i++) {
            statuses[i] = statusClasses[i].sum();
        }
        long[] errorCounts = new long[errors.length];
        String[] messages = new String[errors.length];
        for (int i = 0; i < errors.length; i++) {
            errorCounts[i] = errors[i].sum();
            messages[i] = firstErrors.get(i) == null ? "" : firstErrors.get(i);
        }
        long[] kindCounts = new long[kinds.length];
        for (int i = 0; i < kinds.length; i++) {
            kindCounts[i] = kinds[i].sum();
        }
        return new LoadReport(run, end, histogram, statuses, bodyBytes.sum(), stderrResponses.sum(), errorCounts,
                List.of(messages), kindCounts);
    }
}
