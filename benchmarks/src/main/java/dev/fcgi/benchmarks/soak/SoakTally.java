package dev.fcgi.benchmarks.soak;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.LongAdder;

/**
 * The calls of a run and how each ended, by phase and kind, with every error kept by its reason (a count and the
 * first one's particulars). A refusal counts as refused when it came during a graceful stop, as an error at any
 * other time. Thread-safe.
 */
final class SoakTally {

    /** The parts of a run. */
    enum Phase {
        WARMUP("warm-up"),
        MAIN("main"),
        CHECKS("final checks"),
        STOP("graceful stop");

        private final String label;

        Phase(String label) {
            this.label = label;
        }

        String label() {
            return label;
        }
    }

    /** The counts of one phase and kind. */
    static final class Counts {
        final LongAdder sent = new LongAdder();
        final LongAdder ok = new LongAdder();
        final LongAdder aborted = new LongAdder();
        final LongAdder refused = new LongAdder();
        final LongAdder errors = new LongAdder();

        long sent() {
            return sent.sum();
        }

        long ok() {
            return ok.sum();
        }

        long aborted() {
            return aborted.sum();
        }

        long refused() {
            return refused.sum();
        }

        long errors() {
            return errors.sum();
        }

        void add(Counts other) {
            sent.add(other.sent());
            ok.add(other.ok());
            aborted.add(other.aborted());
            refused.add(other.refused());
            errors.add(other.errors());
        }
    }

    /** The errors of one reason: how many, and the first. */
    record ErrorClass(String reason, long count, String firstDetail, String firstKind, String firstPhase) {
    }

    private static final class Errors {
        final LongAdder count = new LongAdder();
        final String detail;
        final String kind;
        final String phase;

        Errors(String detail, String kind, String phase) {
            this.detail = detail;
            this.kind = kind;
            this.phase = phase;
        }
    }

    private final Counts[][] counts = new Counts[Phase.values().length][SoakKind.values().length];
    private final Map<String, Errors> errors = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> refusals = new ConcurrentHashMap<>();
    private final Queue<Long> refusedThroughNginx = new ConcurrentLinkedQueue<>();
    private final LongAdder inFlightAtSignal = new LongAdder();
    private final LongAdder inFlightAnswered = new LongAdder();

    SoakTally() {
        for (Counts[] row : counts) {
            for (int k = 0; k < row.length; k++) {
                row[k] = new Counts();
            }
        }
    }

    /**
     * Records how a call ended: {@code duringStop} whether it ended after the graceful stop was signalled (its
     * refusal is then clean), {@code spannedSignal} whether it was sent before the signal and ended after it.
     */
    void record(Phase phase, SoakKind kind, long id, Outcome outcome, boolean duringStop, boolean spannedSignal) {
        Counts c = counts[phase.ordinal()][kind.ordinal()];
        c.sent.increment();
        if (spannedSignal && kind.abort() == SoakKind.Abort.NONE) {
            inFlightAtSignal.increment();
            if (outcome.type() == Outcome.Type.OK) {
                inFlightAnswered.increment();
            }
        }
        switch (outcome.type()) {
            case OK -> c.ok.increment();
            case ABORTED -> c.aborted.increment();
            case REFUSAL -> {
                if (duringStop) {
                    c.refused.increment();
                    refusals.computeIfAbsent(kind.route().label() + ": " + outcome.reason(), r -> new LongAdder())
                            .increment();
                    if (kind.route() == SoakKind.Route.NGINX) {
                        refusedThroughNginx.add(id);
                    }
                } else {
                    error(c, phase, kind, "refused outside a graceful stop: " + outcome.reason(), outcome.detail());
                }
            }
            case FAILED -> error(c, phase, kind, outcome.reason(), outcome.detail());
        }
    }

    private void error(Counts c, Phase phase, SoakKind kind, String reason, String detail) {
        c.errors.increment();
        errors.computeIfAbsent(reason, r -> new Errors(detail, kind.label(), phase.label())).count.increment();
    }

    /** The counts of one phase and kind. */
    Counts counts(Phase phase, SoakKind kind) {
        return counts[phase.ordinal()][kind.ordinal()];
    }

    /** The counts of {@code kind} over every phase. */
    Counts total(SoakKind kind) {
        Counts sum = new Counts();
        for (Phase phase : Phase.values()) {
            sum.add(counts(phase, kind));
        }
        return sum;
    }

    /** The counts of {@code phase} over every kind. */
    Counts total(Phase phase) {
        Counts sum = new Counts();
        for (SoakKind kind : SoakKind.values()) {
            sum.add(counts(phase, kind));
        }
        return sum;
    }

    /** The counts of everything. */
    Counts total() {
        Counts sum = new Counts();
        for (Phase phase : Phase.values()) {
            sum.add(total(phase));
        }
        return sum;
    }

    /** Complete, checked answers to calls that were not aborted on purpose: what the handler must have answered. */
    long answeredCalls() {
        long n = 0;
        for (SoakKind kind : SoakKind.values()) {
            if (kind.abort() == SoakKind.Abort.NONE) {
                n += total(kind).ok();
            }
        }
        return n;
    }

    /** Calls (not aborted on purpose) sent before the graceful stop's signal that ended after it. */
    long inFlightAtSignal() {
        return inFlightAtSignal.sum();
    }

    /** Of {@link #inFlightAtSignal()}, those that got a complete, checked answer. */
    long inFlightAnswered() {
        return inFlightAnswered.sum();
    }

    /** The refusals of the graceful stop by route and reason ({@code nginx: HTTP 502}), most frequent first. */
    Map<String, Long> refusals() {
        Map<String, Long> sorted = new LinkedHashMap<>();
        refusals.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue().sum(), a.getValue().sum()))
                .forEach(e -> sorted.put(e.getKey(), e.getValue().sum()));
        return sorted;
    }

    /** The ids of the calls through nginx that were refused during the graceful stop. */
    Set<Long> refusedThroughNginx() {
        return Set.copyOf(refusedThroughNginx);
    }

    /** The errors by reason, most frequent first. */
    List<ErrorClass> errors() {
        List<ErrorClass> list = new ArrayList<>();
        errors.forEach((reason, e) -> list.add(new ErrorClass(reason, e.count.sum(), e.detail, e.kind, e.phase)));
        list.sort(Comparator.comparingLong(ErrorClass::count).reversed().thenComparing(ErrorClass::reason));
        return list;
    }
}
