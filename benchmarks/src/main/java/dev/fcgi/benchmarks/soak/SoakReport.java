package dev.fcgi.benchmarks.soak;

import dev.fcgi.benchmarks.Durations;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The markdown report of a soak run: the verdict, the calls by kind and phase, the server, the errors and logs. */
final class SoakReport {

    private SoakReport() {
    }

    static String render(SoakResult r) {
        StringBuilder md = new StringBuilder(8192);
        SoakOptions o = r.options();
        md.append("## Soak run, ").append(LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm")))
                .append("\n\n");
        if (!o.label().isEmpty()) {
            md.append("Command: `").append(o.label()).append("`\n");
        }
        md.append("Machine: ").append(Runtime.getRuntime().availableProcessors()).append(" CPUs, ")
                .append(loadAverage()).append("; the driver on Java ").append(Runtime.version()).append(".\n");
        md.append("Run: warm-up ").append(Durations.text(o.warmup())).append(", main phase ")
                .append(Durations.text(o.duration()))
                .append(o.maxRequests() > 0 ? " or " + o.maxRequests() + " calls" : "")
                .append(o.reloadEvery().isZero() ? "" : " with a reload every " + Durations.text(o.reloadEvery()))
                .append(o.gracefulStop() ? ", then a graceful stop under load" : "").append("; ").append(o.users())
                .append(" concurrent calls through nginx and ").append(o.clientUsers())
                .append(" through FcgiClient; ").append(r.elapsed().toSeconds()).append(" s in all.\n\n");

        md.append("### Verdict: ").append(r.passed() ? "PASS" : "FAIL").append("\n\n");
        md.append("| check | kind | result | figures |\n|---|---|---|---|\n");
        for (SoakResult.Check c : r.checks()) {
            md.append("| ").append(c.name()).append(" | ").append(c.correctness() ? "correctness" : "footprint")
                    .append(" | ").append(c.passed() ? "pass" : "**FAIL**").append(" | ").append(c.detail())
                    .append(" |\n");
        }
        md.append("\nFootprint criteria: the server's heap in use after a full GC may end at most ")
                .append((int) (Soak.HEAP_MARGIN_SHARE * 100)).append(" % (and at least ")
                .append(Soak.HEAP_MARGIN >> 20).append(" MiB) above its start; its Java threads other than the pool's")
                .append(" workers at most ").append(Soak.THREAD_MARGIN).append(" above. Both are measured with no")
                .append(" request in flight, once the pool's number of workers is steady.\n\n");

        calls(md, r.tally());
        server(md, r);
        events(md, r);
        errors(md, r.tally());
        logs(md, r);
        return md.toString();
    }

    private static void calls(StringBuilder md, SoakTally tally) {
        md.append("### Calls\n\nEvery call has an id of its own; an answer is checked when it is a 200 with that id,")
                .append(" the upload's length and CRC32C as the handler read them, and a body of the asked length")
                .append(" whose CRC32C matches both its header and the driver's own computation. Aborts are the")
                .append(" driver's own, on purpose; refusals are counted as such only during the graceful stop.\n\n");
        md.append("| kind | route | what | calls | answers checked | errors | intentional aborts | refused (stop) |\n")
                .append("|---|---|---|---:|---:|---:|---:|---:|\n");
        for (SoakKind kind : SoakKind.values()) {
            SoakTally.Counts c = tally.total(kind);
            row(md, kind.label(), kind.route().label(), kind.describe(), c);
        }
        row(md, "**all**", "", "", tally.total());
        md.append("\n| phase | calls | answers checked | errors | intentional aborts | refused |\n")
                .append("|---|---:|---:|---:|---:|---:|\n");
        for (SoakTally.Phase phase : SoakTally.Phase.values()) {
            SoakTally.Counts c = tally.total(phase);
            if (c.sent() > 0) {
                md.append("| ").append(phase.label()).append(" | ").append(c.sent()).append(" | ").append(c.ok())
                        .append(" | ").append(c.errors()).append(" | ").append(c.aborted()).append(" | ")
                        .append(c.refused()).append(" |\n");
            }
        }
        md.append('\n');
    }

    private static void row(StringBuilder md, String kind, String route, String what, SoakTally.Counts c) {
        md.append("| ").append(kind).append(" | ").append(route).append(" | ").append(what).append(" | ")
                .append(c.sent()).append(" | ")
                .append(c.ok()).append(" | ").append(c.errors()).append(" | ").append(c.aborted()).append(" | ")
                .append(c.refused()).append(" |\n");
    }

    private static void server(StringBuilder md, SoakResult r) {
        md.append("### The server's JVM\n\nAfter `System.gc()` through JMX (a full collection): heap used and")
                .append(" committed; NIO direct buffers in use (`BufferPoolMXBean` \"direct\"); Java threads")
                .append(" (ThreadMXBean: the pool's workers, Netty's event loops, the JVM's own Java threads); OS")
                .append(" threads from /proc (also GC and JIT threads); RSS from /proc, ").append(
                        ServerProbe.RSS_DELAY.toSeconds()).append(" s after the GC (G1 gives back the memory of a")
                .append(" shrunk heap in the background); the pool's workers from its status page. The samples of")
                .append(" the main phase are taken under load, where G1 grows the heap it commits, which the RSS")
                .append(" follows.\n\n");
        md.append("| when | after | calls so far | heap used MiB | heap committed MiB | direct buffers MiB |")
                .append(" Java threads | OS threads | pool workers | RSS MiB |\n")
                .append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        List<SoakResult.Sample> all = new ArrayList<>();
        all.add(r.start());
        all.addAll(r.samples());
        all.add(r.end());
        for (SoakResult.Sample s : all) {
            md.append("| ").append(s.label()).append(" | ").append(s.at().toSeconds()).append(" s | ")
                    .append(s.calls()).append(" | ").append(Soak.mib(s.jvm().heapUsed())).append(" | ")
                    .append(Soak.mib(s.jvm().heapCommitted())).append(" | ").append(Soak.mib(s.jvm().direct()))
                    .append(" | ").append(s.jvm().javaThreads())
                    .append(" | ").append(s.jvm().osThreads()).append(" | ").append(s.pool().total()).append(" | ")
                    .append(Soak.mib(s.jvm().rss())).append(" |\n");
        }
        md.append('\n');
    }

    private static void events(StringBuilder md, SoakResult r) {
        md.append("### Reloads, totals, graceful stop\n\n");
        SoakResult.Reloads reloads = r.reloads();
        if (reloads.sent() > 0) {
            md.append("- Reloads (SIGHUP, `pm.max_children` alternating): ").append(reloads.sent()).append(" sent, ")
                    .append(reloads.confirmed()).append(" confirmed by the daemon's `reloaded` line (the longest")
                    .append(" after ").append(reloads.longestConfirmation().toMillis()).append(" ms), ")
                    .append(reloads.refused()).append(" refused.\n");
        }
        md.append("- Handler totals after the final checks: ").append(r.totals().describe()).append(".\n");
        SoakResult.Stop stop = r.stop();
        if (stop != null) {
            SoakTally.Counts c = r.tally().total(SoakTally.Phase.STOP);
            md.append("- Graceful stop (SIGWINCH under load): the daemon ").append(stop.exited() ? "exited "
                    + stop.toExit().toMillis() + " ms after the signal" : "did not exit in time").append("; ")
                    .append(r.tally().inFlightAtSignal()).append(" calls were in flight at the signal, of which ")
                    .append(r.tally().inFlightAnswered()).append(" got a checked answer (the others: refused, as")
                    .append(" counted below);")
                    .append(" in the stop phase ").append(c.ok()).append(" answers checked, ").append(c.refused())
                    .append(" refused, ").append(c.errors()).append(" errors. Totals at exit: ")
                    .append(stop.atExit().describe()).append(".\n");
            md.append("- Refusals in the graceful stop by route and reason: ").append(list(stop.refusals()))
                    .append(".");
            if (!stop.nginxCauses().isEmpty()) {
                md.append("\n- nginx's refusals by the cause its error log gives: ").append(list(stop.nginxCauses()))
                        .append(". (`upstream sent unexpected FastCGI record: 3` is the server's END_REQUEST with")
                        .append(" FCGI_OVERLOADED before any output; `connect() ... failed` comes once the listener")
                        .append(" is closed; a reset or a premature close while reading the response header is a kept")
                        .append(" connection closed by the server with the request unanswered.)");
            }
            md.append('\n');
        }
        md.append('\n');
    }

    private static void errors(StringBuilder md, SoakTally tally) {
        List<SoakTally.ErrorClass> errors = tally.errors();
        md.append("### Errors\n\n");
        if (errors.isEmpty()) {
            md.append("None.\n\n");
            return;
        }
        md.append("| reason | count | first: kind, phase, particulars |\n|---|---:|---|\n");
        for (SoakTally.ErrorClass e : errors) {
            md.append("| ").append(cell(e.reason())).append(" | ").append(e.count()).append(" | ")
                    .append(e.firstKind()).append(", ").append(e.firstPhase()).append(": ")
                    .append(cell(e.firstDetail())).append(" |\n");
        }
        md.append('\n');
    }

    private static void logs(StringBuilder md, SoakResult r) {
        md.append("### The daemon's log\n\nLines above NOTICE in its error_log, and whatever else it printed (numbers")
                .append(" written N): ").append(r.leaks()).append(" with `LEAK:`.\n\n");
        if (r.findings().isEmpty()) {
            md.append("None.\n\n");
            return;
        }
        md.append("| line | count |\n|---|---:|\n");
        for (ServerLogs.LineClass line : r.findings()) {
            md.append("| ").append(cell(line.line())).append(" | ").append(line.count()).append(" |\n");
        }
        md.append('\n');
    }

    private static String list(Map<String, Long> counts) {
        if (counts.isEmpty()) {
            return "none";
        }
        StringBuilder out = new StringBuilder();
        counts.forEach((what, n) -> out.append(out.isEmpty() ? "" : "; ").append(n).append(" × `").append(what)
                .append('`'));
        return out.toString();
    }

    private static String cell(String text) {
        String one = text.replace('\n', ' ').replace("|", "\\|");
        return one.length() > 240 ? one.substring(0, 240) + "..." : one;
    }

    private static String loadAverage() {
        try {
            String[] load = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return "load average " + load[0] + " " + load[1] + " " + load[2] + " at the end";
        } catch (IOException | RuntimeException e) {
            return "load average unknown";
        }
    }
}
