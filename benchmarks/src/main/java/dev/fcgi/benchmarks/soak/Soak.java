package dev.fcgi.benchmarks.soak;

import dev.fcgi.benchmarks.Durations;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The soak driver: mixed traffic through nginx and through {@code FcgiClient} to an {@code fpm} daemon running
 * {@link SoakHandler}, every answer checked, the server's heap and threads measured, reloads and a graceful stop
 * under load, and a markdown report with a verdict. {@code benchmarks/soak.sh} starts the daemon and nginx and runs
 * it; {@code SoakIT} runs a short one in the build.
 *
 * <p>Phases: a warm-up; a measurement of the server (after a full collection, once its pool is back to a steady
 * number of workers); the main phase, with a sample every {@code --sample-every} and a reload (SIGHUP) every
 * {@code --reload-every}; the measurement again; final checks (a few calls between full collections, so that
 * Netty's leak detector reports what it found; the handler's totals against the driver's); and, with
 * {@code --graceful-stop}, traffic again, SIGWINCH, and traffic until the daemon has exited: every call then ends
 * with a checked answer or a clean refusal, and the handler's totals at exit must equal the answers the driver
 * checked (an accepted request that lost its answer, or one the server ran twice, would show there).
 */
public final class Soak {

    /** The command line. */
    public static final String USAGE = """
            usage: java -cp benchmarks.jar dev.fcgi.benchmarks.soak.Soak [options]
            the server (started by benchmarks/soak.sh, or by hand: an fpm daemon with handler =
            dev.fcgi.benchmarks.soak.SoakHandler and pm.status_path = /status, nginx in front):
              --nginx URL            nginx, http://127.0.0.1:PORT (required)
              --fcgi ADDRESS         the pool's socket for the FcgiClient calls: unix:/path or host:port
              --server-pid PID       the daemon's process id (required)
              --server-log FILE      its error_log (required)
              --server-output FILE   its standard error: the handler's totals at exit
              --config FILE          its php-fpm.conf: pm.max_children alternates before each reload
              --nginx-error-log FILE nginx's error log: the causes of its refusals in the graceful stop
            the run:
              --warmup T             traffic before the first measurement (default 30s)
              --duration T           the main phase (default 10m)
              --max-requests N       the most calls of the main phase (default 0: no limit)
              --users N              concurrent calls through nginx (default 12)
              --client-users N       concurrent calls through FcgiClient (default 4)
              --reload-every T       a reload (SIGHUP) this often in the main phase (default 0: none)
              --sample-every T       the server's heap and threads this often (default 60s)
              --graceful-stop        end with SIGWINCH under load (needs --server-output)
              --stop-after T         traffic before the SIGWINCH (default 3s)
              --stop-timeout T       how long the daemon may take to exit (default 45s)
              --timeout T            the time limit of one call (default 60s)
              --settle-timeout T     how long the pool may take to settle before a measurement (default 60s)
              --report FILE          write the markdown report there too
              --label TEXT           a line for the report
              --seed N               the seed of the mix (default 1)
            exit status: 0 when every check passed, 1 when one failed, 2 for a usage error.
            """;

    /** The heap after a full collection may end this much above its start (and at least {@link #HEAP_MARGIN}). */
    static final double HEAP_MARGIN_SHARE = 0.10;
    static final long HEAP_MARGIN = 4L << 20;
    /** Java threads (beside the pool's workers) may end this many above their start. */
    static final int THREAD_MARGIN = 2;
    private static final int CHECK_CALLS = 20;
    private static final Duration RELOAD_CONFIRMATION = Duration.ofSeconds(30);
    private static final Pattern STATUS_FIELD = Pattern.compile("\"(total|idle|active) processes\":(\\d+)");

    private final SoakOptions options;
    private final PrintStream progress;
    private final SoakTally tally = new SoakTally();
    private final AtomicLong ids = new AtomicLong();
    private final List<SoakResult.Sample> samples = new ArrayList<>();
    private final List<SoakResult.Check> checks = new ArrayList<>();
    private final ServerLogs logs;
    private final long startNanos = System.nanoTime();

    private Soak(SoakOptions options, PrintStream progress) {
        this.options = options;
        this.progress = progress;
        this.logs = new ServerLogs(options.serverLog(), options.serverOutput());
    }

    public static void main(String[] args) throws Exception {
        if (List.of(args).contains("-h") || List.of(args).contains("--help")) {
            System.out.print(USAGE);
            return;
        }
        SoakOptions options;
        try {
            options = SoakOptions.parse(List.of(args));
        } catch (IllegalArgumentException e) {
            System.err.println("soak: " + e.getMessage());
            System.err.print(USAGE);
            System.exit(2);
            return;
        }
        SoakResult result = run(options, System.err);
        String report = SoakReport.render(result);
        System.out.print(report);
        if (options.report() != null) {
            Files.writeString(options.report(), report, StandardCharsets.UTF_8);
        }
        System.exit(result.passed() ? 0 : 1);
    }

    /** Runs the soak, writing progress lines to {@code progress}. */
    public static SoakResult run(SoakOptions options, PrintStream progress) throws Exception {
        return new Soak(options, progress).run();
    }

    private SoakResult run() throws Exception {
        ServerControl control = new ServerControl(options.serverPid(), options.config());
        try (NginxRoute nginx = new NginxRoute(options.nginx(), options.timeout());
             ClientRoute client = options.clientUsers() == 0 ? null
                     : new ClientRoute(options.fcgi(), Math.max(2, options.clientUsers()), options.timeout());
             ServerProbe probe = ServerProbe.attach(options.serverPid())) {
            log("warm-up: " + Durations.text(options.warmup()) + ", " + options.users() + " users through nginx, "
                    + options.clientUsers() + " through FcgiClient");
            phase(nginx, client, SoakTally.Phase.WARMUP, options.warmup(), 0);
            SoakResult.Sample start = measure("start", nginx, probe);
            SoakResult.Reloads reloads = main(nginx, client, probe, control);
            SoakResult.Sample end = measure("end", nginx, probe);
            SoakResult.Totals totals = finalChecks(nginx, client, probe);
            SoakResult.Stop stop = null;
            if (options.gracefulStop()) {
                stop = gracefulStop(nginx, client, control);
            }
            long leaks = logs.leaks();
            List<ServerLogs.LineClass> findings = logs.findings();
            verdict(start, end, reloads, totals, stop, leaks);
            return new SoakResult(options, tally, start, end, List.copyOf(samples), reloads, totals, stop, findings,
                    leaks, List.copyOf(checks), elapsed());
        }
    }

    /** Traffic for {@code length}, or until {@code maxCalls} calls; then every call in flight ends. */
    private void phase(NginxRoute nginx, ClientRoute client, SoakTally.Phase phase, Duration length, long maxCalls)
            throws InterruptedException {
        Traffic traffic = new Traffic(nginx, client, tally, phase, ids, maxCalls)
                .start(options.users(), options.clientUsers(), options.seed() + phase.ordinal());
        long deadline = System.nanoTime() + length.toNanos();
        while (System.nanoTime() < deadline && !traffic.finished()) {
            Thread.sleep(Math.min(500, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
        }
        endTraffic(traffic);
    }

    private void endTraffic(Traffic traffic) throws InterruptedException {
        if (!traffic.stop(options.timeout().plusSeconds(15))) {
            throw new IllegalStateException("calls still running " + options.timeout().plusSeconds(15).toSeconds()
                    + " s after the end of the phase, beyond their own time limit");
        }
    }

    /** The main phase: traffic, samples and reloads. */
    private SoakResult.Reloads main(NginxRoute nginx, ClientRoute client, ServerProbe probe, ServerControl control)
            throws Exception {
        log("main: " + Durations.text(options.duration())
                + (options.maxRequests() > 0 ? " or " + options.maxRequests() + " calls" : "")
                + (options.reloadEvery().isZero() ? "" : ", a reload every " + Durations.text(options.reloadEvery())));
        Traffic traffic = new Traffic(nginx, client, tally, SoakTally.Phase.MAIN, ids, options.maxRequests())
                .start(options.users(), options.clientUsers(), options.seed() + SoakTally.Phase.MAIN.ordinal());
        long begin = System.nanoTime();
        long end = begin + options.duration().toNanos();
        long nextSample = begin + options.sampleEvery().toNanos();
        long nextReload = options.reloadEvery().isZero() ? Long.MAX_VALUE : begin + options.reloadEvery().toNanos();
        int sent = 0;
        long confirmed = 0;
        Duration longest = Duration.ZERO;
        long refusedBefore = logs.count("reload refused");
        long reloadedBefore = logs.count("NOTICE: reloaded ");
        try {
            while (System.nanoTime() < end && !traffic.finished()) {
                long now = System.nanoTime();
                if (now >= nextSample) {
                    SoakResult.Sample sample = sample("t+" + Duration.ofNanos(now - begin).toSeconds() + "s",
                            nginx, probe);
                    samples.add(sample);
                    log("sample " + describe(sample));
                    nextSample += options.sampleEvery().toNanos();
                } else if (now >= nextReload) {
                    long t0 = System.nanoTime();
                    control.reload();
                    sent++;
                    if (awaitLogCount("NOTICE: reloaded ", reloadedBefore + sent)) {
                        confirmed++;
                        Duration took = Duration.ofNanos(System.nanoTime() - t0);
                        longest = took.compareTo(longest) > 0 ? took : longest;
                    }
                    nextReload += options.reloadEvery().toNanos();
                } else {
                    Thread.sleep(Math.max(1, Math.min(Math.min(nextSample, nextReload), end) - now) / 1_000_000
                            + 1);
                }
            }
        } finally {
            endTraffic(traffic);
        }
        long refused = logs.count("reload refused") - refusedBefore;
        if (sent > 0) {
            log("reloads: " + sent + " sent, " + confirmed + " confirmed, " + refused + " refused");
        }
        return new SoakResult.Reloads(sent, confirmed, refused, longest);
    }

    private boolean awaitLogCount(String text, long count) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + RELOAD_CONFIRMATION.toNanos();
        while (System.nanoTime() < deadline) {
            if (logs.count(text) >= count) {
                return true;
            }
            Thread.sleep(50);
        }
        return false;
    }

    /**
     * The server once its pool settled (the same number of workers over three status reads a second apart, none
     * busy but the status request, or the settle timeout), after a full collection.
     */
    private SoakResult.Sample measure(String label, NginxRoute nginx, ServerProbe probe) throws Exception {
        long deadline = System.nanoTime() + options.settleTimeout().toNanos();
        SoakResult.PoolStatus previous = null;
        int steady = 0;
        while (System.nanoTime() < deadline && steady < 2) {
            SoakResult.PoolStatus now = poolStatus(nginx);
            steady = previous != null && now.total() == previous.total() && now.active() <= 1 ? steady + 1 : 0;
            previous = now;
            Thread.sleep(1000);
        }
        SoakResult.Sample sample = sample(label, nginx, probe);
        log(label + (steady < 2 ? " (the pool did not settle within " + Durations.text(options.settleTimeout())
                + ")" : "") + ": " + describe(sample));
        return sample;
    }

    private SoakResult.Sample sample(String label, NginxRoute nginx, ServerProbe probe) throws Exception {
        ServerProbe.JvmState jvm = probe.afterFullGc();
        return new SoakResult.Sample(label, elapsed(), tally.total().sent(), jvm, poolStatus(nginx));
    }

    private static SoakResult.PoolStatus poolStatus(NginxRoute nginx) throws IOException, InterruptedException {
        String json = nginx.get("/status?json");
        long total = -1;
        long idle = -1;
        long active = -1;
        Matcher m = STATUS_FIELD.matcher(json);
        while (m.find()) {
            long value = Long.parseLong(m.group(2));
            switch (m.group(1)) {
                case "total" -> total = value;
                case "idle" -> idle = value;
                default -> active = value;
            }
        }
        if (total < 0 || idle < 0 || active < 0) {
            throw new IOException("the status page has no process counts: " + json);
        }
        return new SoakResult.PoolStatus(total, idle, active);
    }

    /**
     * A few calls on each route between full collections (Netty reports a leaked buffer when a new one is tracked
     * after the collection that found it), then the handler's totals, read until they match the driver's count
     * (the handler counts an answer just after sending it) or for up to 5 s.
     */
    private SoakResult.Totals finalChecks(NginxRoute nginx, ClientRoute client, ServerProbe probe) throws Exception {
        for (int round = 0; round < 2; round++) {
            probe.fullGc();
            phase(nginx, client, SoakTally.Phase.CHECKS, options.timeout().multipliedBy(2),
                    CHECK_CALLS * (client == null ? 1 : 2L));
        }
        SoakTotals totals = null;
        for (int attempt = 0; attempt < 25; attempt++) {
            try {
                totals = SoakTotals.parse(nginx.get(SoakCall.TOTALS_PATH));
            } catch (IOException | IllegalArgumentException e) {
                log("reading the handler's totals failed: " + e);
            }
            if (totals != null && totals.answered() == tally.answeredCalls()) {
                break;
            }
            Thread.sleep(200);
        }
        SoakResult.Totals result = new SoakResult.Totals(totals, tally.answeredCalls());
        log("totals after the final checks: " + result.describe());
        return result;
    }

    /** Traffic, SIGWINCH, traffic until the daemon exited and a second more. */
    private SoakResult.Stop gracefulStop(NginxRoute nginx, ClientRoute client, ServerControl control)
            throws Exception {
        log("graceful stop: traffic for " + Durations.text(options.stopAfter()) + ", then SIGWINCH");
        Traffic traffic = new Traffic(nginx, client, tally, SoakTally.Phase.STOP, ids, 0)
                .start(options.users(), options.clientUsers(), options.seed() + SoakTally.Phase.STOP.ordinal());
        boolean exited;
        Duration toExit;
        try {
            Thread.sleep(options.stopAfter().toMillis());
            traffic.signalled();
            long t0 = System.nanoTime();
            control.gracefulStop();
            exited = control.awaitExit(options.stopTimeout());
            toExit = Duration.ofNanos(System.nanoTime() - t0);
            Thread.sleep(1000);                                 // calls after the exit: refused
        } finally {
            endTraffic(traffic);
        }
        SoakTotals exitTotals = null;
        for (int attempt = 0; attempt < 50 && exited && exitTotals == null; attempt++) {
            exitTotals = logs.exitTotals().orElse(null);
            if (exitTotals == null) {
                Thread.sleep(100);
            }
        }
        SoakResult.Totals atExit = new SoakResult.Totals(exitTotals, tally.answeredCalls());
        log("the daemon " + (exited ? "exited " + toExit.toMillis() + " ms after SIGWINCH" : "did not exit")
                + "; totals at exit: " + atExit.describe());
        Map<String, Long> causes = options.nginxErrorLog() == null ? Map.of()
                : NginxErrorLog.causes(options.nginxErrorLog(), tally.refusedThroughNginx());
        return new SoakResult.Stop(exited, toExit, atExit, tally.refusals(), causes);
    }

    private void verdict(SoakResult.Sample start, SoakResult.Sample end, SoakResult.Reloads reloads,
                         SoakResult.Totals totals, SoakResult.Stop stop, long leaks) {
        SoakTally.Counts all = tally.total();
        check("no error", true, all.errors() == 0, all.errors() + " errors in " + all.sent() + " calls");
        check("handler totals match the answers checked", true, totals.match(), totals.describe());
        if (reloads.sent() > 0) {
            check("every reload confirmed", true, reloads.confirmed() == reloads.sent() && reloads.refused() == 0,
                    reloads.sent() + " sent, " + reloads.confirmed() + " confirmed, " + reloads.refused()
                            + " refused");
        }
        if (stop != null) {
            check("graceful stop: exit in time", true, stop.exited(), stop.exited()
                    ? "exited " + stop.toExit().toMillis() + " ms after SIGWINCH" : "still running after "
                    + Durations.text(options.stopTimeout()));
            check("graceful stop: no request lost", true, stop.atExit().match(), stop.atExit().describe());
        }
        check("no ByteBuf leak reported", true, leaks == 0, leaks + " LEAK lines in the daemon's log and output");
        long heapLimit = start.jvm().heapUsed() + Math.max(HEAP_MARGIN,
                (long) (start.jvm().heapUsed() * HEAP_MARGIN_SHARE));
        check("heap flat", false, end.jvm().heapUsed() <= heapLimit, mib(start.jvm().heapUsed()) + " MiB -> "
                + mib(end.jvm().heapUsed()) + " MiB after a full GC (limit " + mib(heapLimit) + " MiB)");
        long startThreads = start.jvm().javaThreads() - start.pool().total();
        long endThreads = end.jvm().javaThreads() - end.pool().total();
        check("threads flat", false, endThreads <= startThreads + THREAD_MARGIN, "Java threads " + start.jvm()
                .javaThreads() + " -> " + end.jvm().javaThreads() + " with " + start.pool().total() + " -> "
                + end.pool().total() + " pool workers: " + startThreads + " -> " + endThreads + " others (limit +"
                + THREAD_MARGIN + ")");
    }

    private void check(String name, boolean correctness, boolean passed, String detail) {
        checks.add(new SoakResult.Check(name, correctness, passed, detail));
        log((passed ? "PASS " : "FAIL ") + name + ": " + detail);
    }

    static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f", bytes / 1048576.0);
    }

    private static String describe(SoakResult.Sample s) {
        return s.calls() + " calls; heap " + mib(s.jvm().heapUsed()) + " MiB after GC (committed "
                + mib(s.jvm().heapCommitted()) + "), direct buffers " + mib(s.jvm().direct()) + " MiB, "
                + s.jvm().javaThreads() + " Java / " + s.jvm().osThreads()
                + " OS threads, RSS " + mib(s.jvm().rss()) + " MiB, " + s.pool().total() + " workers";
    }

    private Duration elapsed() {
        return Duration.ofNanos(System.nanoTime() - startNanos);
    }

    private void log(String line) {
        progress.println("[soak " + elapsed().toSeconds() + "s] " + line);
    }
}
