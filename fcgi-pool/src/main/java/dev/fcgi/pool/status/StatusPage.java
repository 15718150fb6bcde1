package dev.fcgi.pool.status;

import dev.fcgi.pool.PoolStatus;
import dev.fcgi.pool.RequestInfo;
import dev.fcgi.pool.ScoreboardSnapshot;
import dev.fcgi.pool.WorkerState;
import dev.fcgi.pool.WorkerView;
import dev.fcgi.protocol.server.FcgiRequest;
import dev.fcgi.protocol.server.FcgiResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * FPM's status page ({@code pm.status_path}) for one moment of a pool: the pool's counters and, with {@code full},
 * one block per worker, in FPM's text, JSON, XML, HTML and OpenMetrics formats, with FPM's labels.
 *
 * <p>Where it differs from FPM, on purpose: every value is escaped for its format (FPM escapes only the query
 * string) and nothing is truncated; two extra pool fields follow FPM's, {@code rejected requests} (requests refused
 * with FCGI_OVERLOADED because the queue was full) and {@code max queue wait} (the longest a request waited for a
 * worker, in µs); "pid" is a child process's pid, or the slot id of an in-JVM worker; "last request cpu" is
 * the worker thread's CPU time over the last request's duration and "last request memory" the bytes the thread
 * allocated for it (FPM: the child's peak memory), both for idle workers only, as in FPM; "total processes" also
 * counts workers that are still starting (a child process not yet accepting), which are neither idle nor active.
 * OpenMetrics
 * puts a {@code pool} label on every series, adds per-worker series ({@code phpfpm_process_requests},
 * {@code phpfpm_process_request_duration}, a one-hot {@code phpfpm_process_state}) and writes HELP before TYPE
 * everywhere, without blank lines.
 */
public final class StatusPage {

    private static final Logger logger = LoggerFactory.getLogger(StatusPage.class);

    /** FPM's {@code Expires} header on status and ping replies. */
    public static final String EXPIRES = "Thu, 01 Jan 1970 00:00:00 GMT";
    /** FPM's {@code Cache-Control} header on status and ping replies. */
    public static final String CACHE_CONTROL = "no-cache, no-store, must-revalidate, max-age=0";
    /** FPM's body of a failed status page. */
    public static final String INTERNAL_ERROR = "Internal error. Please review log file for errors.";

    private static final DateTimeFormatter TEXT_TIME =
            DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.US);
    private static final String PROCESS_SEPARATOR = "\n************************\n";

    private final PoolStatus status;
    private final ScoreboardSnapshot scoreboard;
    private final ZoneId zone;

    /**
     * A page for {@code status} and {@code scoreboard}, taken at the same moment (as {@code FcgiPool.statusPage()}
     * does); text and HTML times are printed in {@code zone}.
     */
    public StatusPage(PoolStatus status, ScoreboardSnapshot scoreboard, ZoneId zone) {
        this.status = Objects.requireNonNull(status, "status");
        this.scoreboard = Objects.requireNonNull(scoreboard, "scoreboard");
        this.zone = Objects.requireNonNull(zone, "zone");
    }

    /** The pool's counters. */
    public PoolStatus status() {
        return status;
    }

    /** The workers. */
    public ScoreboardSnapshot scoreboard() {
        return scoreboard;
    }

    // ---- serving

    /**
     * Answers a status request: the format and {@code full} come from the query string; FPM's no-cache headers;
     * headers only for HEAD; 500 with FPM's message when the page cannot be built.
     */
    public static void serve(Supplier<StatusPage> page, FcgiRequest request, FcgiResponse response)
            throws IOException {
        String query = request.queryString();
        StatusFormat format = StatusFormat.of(query);
        String body;
        try {
            body = page.get().render(format, StatusFormat.isFull(query));
        } catch (RuntimeException e) {
            logger.error("status page failed", e);
            write(request, response, 500, "text/plain", INTERNAL_ERROR);
            return;
        }
        write(request, response, 200, format.contentType(), body);
    }

    /** Answers a ping request: 200, {@code text/plain}, {@code body}, FPM's no-cache headers. */
    public static void servePing(String body, FcgiRequest request, FcgiResponse response) throws IOException {
        write(request, response, 200, "text/plain", body);
    }

    private static void write(FcgiRequest request, FcgiResponse response, int status, String contentType,
                              String body) throws IOException {
        response.status(status).contentType(contentType).header("Expires", EXPIRES)
                .header("Cache-Control", CACHE_CONTROL);
        if (!"HEAD".equalsIgnoreCase(request.method())) {
            response.body().write(body.getBytes(StandardCharsets.UTF_8));
        }
    }

    // ---- fields

    private record Field(String label, Object value) {
        String key() {
            return label.toLowerCase(Locale.ROOT);
        }

        String tag() {
            return key().replace(' ', '-');
        }
    }

    /** Marks a value as a point in time (printed per format). */
    private record Time(Instant instant) {
    }

    /** Marks a value as a percentage printed with two decimals. */
    private record Percent(double value) {
    }

    private long seconds(long nanos) {
        return Math.max(0, TimeUnit.NANOSECONDS.toSeconds(nanos));
    }

    private List<Field> poolFields() {
        long now = scoreboard.nowNanos();
        return List.of(
                new Field("pool", status.pool()),
                new Field("process manager", status.processManager()),
                new Field("start time", new Time(status.startTime())),
                new Field("start since", seconds(now - status.startNanos())),
                new Field("accepted conn", status.acceptedConn()),
                new Field("listen queue", (long) status.listenQueue()),
                new Field("max listen queue", (long) status.maxListenQueue()),
                new Field("listen queue len", (long) status.listenQueueLen()),
                new Field("idle processes", (long) status.idleProcesses()),
                new Field("active processes", (long) status.activeProcesses()),
                new Field("total processes", (long) status.totalProcesses()),
                new Field("max active processes", (long) status.maxActiveProcesses()),
                new Field("max children reached", status.maxChildrenReached()),
                new Field("slow requests", status.slowRequests()),
                new Field("rejected requests", status.rejected()),
                new Field("max queue wait", TimeUnit.NANOSECONDS.toMicros(status.maxQueueWaitNanos())));
    }

    private List<Field> processFields(WorkerView worker) {
        long now = scoreboard.nowNanos();
        RequestInfo request = worker.request();
        Instant started = status.startTime().plusNanos(worker.startedNanos() - status.startNanos());
        return List.of(
                new Field("pid", worker.pid()),
                new Field("state", worker.state().label()),
                new Field("start time", new Time(started)),
                new Field("start since", seconds(now - worker.startedNanos())),
                new Field("requests", worker.requests()),
                new Field("request duration", TimeUnit.NANOSECONDS.toMicros(worker.requestDurationNanos(now))),
                new Field("request method", dash(request == null ? null : request.method())),
                new Field("request URI", request == null ? "" : request.uriWithQuery()),
                new Field("content length", request == null ? 0L : request.contentLength()),
                new Field("user", dash(request == null ? null : request.user())),
                new Field("script", dash(request == null ? null : request.script())),
                new Field("last request cpu", new Percent(lastRequestCpuPercent(worker))),
                new Field("last request memory", worker.isIdle() ? worker.lastRequestMemory() : 0L));
    }

    /** FPM's figure: the CPU time of the last request over its duration, for an idle worker; otherwise 0. */
    private static double lastRequestCpuPercent(WorkerView worker) {
        if (!worker.isIdle() || worker.lastRequestNanos() <= 0) {
            return 0;
        }
        return 100.0 * worker.lastRequestCpuNanos() / worker.lastRequestNanos();
    }

    private static String dash(String s) {
        return s == null || s.isEmpty() ? "-" : s;
    }

    // ---- rendering

    /** The page in {@code format}; {@code full} adds one block per worker (OpenMetrics always has them). */
    public String render(StatusFormat format, boolean full) {
        return switch (format) {
            case TEXT -> text(full);
            case JSON -> json(full);
            case XML -> xml(full);
            case HTML -> html(full);
            case OPENMETRICS -> openMetrics();
        };
    }

    private String textValue(Object value) {
        return switch (value) {
            case Time t -> TEXT_TIME.format(t.instant().atZone(zone));
            case Percent p -> String.format(Locale.ROOT, "%.2f", p.value());
            default -> String.valueOf(value);
        };
    }

    private String text(boolean full) {
        StringBuilder out = new StringBuilder(512);
        textFields(out, poolFields());
        if (full) {
            for (WorkerView worker : scoreboard.workers()) {
                out.append(PROCESS_SEPARATOR);
                textFields(out, processFields(worker));
            }
        }
        return out.toString();
    }

    private void textFields(StringBuilder out, List<Field> fields) {
        for (Field field : fields) {
            String label = field.label() + ':';
            out.append(label);
            out.append(" ".repeat(Math.max(1, 22 - label.length())));
            out.append(textValue(field.value())).append('\n');
        }
    }

    private String json(boolean full) {
        StringBuilder out = new StringBuilder(512);
        out.append('{');
        jsonFields(out, poolFields());
        if (full) {
            out.append(", \"processes\":[");
            boolean first = true;
            for (WorkerView worker : scoreboard.workers()) {
                out.append(first ? "{" : ",{");
                first = false;
                jsonFields(out, processFields(worker));
                out.append('}');
            }
            out.append(']');
        }
        return out.append('}').toString();
    }

    private void jsonFields(StringBuilder out, List<Field> fields) {
        boolean first = true;
        for (Field field : fields) {
            if (!first) {
                out.append(',');
            }
            first = false;
            jsonString(out, field.key());
            out.append(':');
            switch (field.value()) {
                case String s -> jsonString(out, s);
                case Time t -> out.append(t.instant().getEpochSecond());
                case Percent p -> out.append(String.format(Locale.ROOT, "%.2f", p.value()));
                default -> out.append(field.value());
            }
        }
    }

    private static void jsonString(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x2028 || c == 0x2029) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    private String markupValue(Object value, boolean epoch) {
        if (epoch && value instanceof Time t) {
            return Long.toString(t.instant().getEpochSecond());
        }
        return escapeMarkup(textValue(value));
    }

    private static String escapeMarkup(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c < 0x20 && c != '\t' && c != '\n' && c != '\r' ? '?' : c);
            }
        }
        return out.toString();
    }

    private String xml(boolean full) {
        StringBuilder out = new StringBuilder(1024);
        out.append("<?xml version=\"1.0\" ?>\n<status>\n");
        for (Field field : poolFields()) {
            out.append('<').append(field.tag()).append('>').append(markupValue(field.value(), true))
                    .append("</").append(field.tag()).append(">\n");
        }
        if (full) {
            out.append("<processes>\n");
            for (WorkerView worker : scoreboard.workers()) {
                out.append("<process>");
                for (Field field : processFields(worker)) {
                    out.append('<').append(field.tag()).append('>').append(markupValue(field.value(), true))
                            .append("</").append(field.tag()).append('>');
                }
                out.append("</process>\n");
            }
            out.append("</processes>\n");
        }
        return out.append("</status>\n").toString();
    }

    private String html(boolean full) {
        StringBuilder out = new StringBuilder(2048);
        out.append("<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Strict//EN\" "
                        + "\"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd\">\n")
                .append("<html xmlns=\"http://www.w3.org/1999/xhtml\" xml:lang=\"en\" lang=\"en\">\n")
                .append("<head><title>PHP-FPM Status Page</title></head>\n")
                .append("<body>\n")
                .append("<table>\n");
        for (Field field : poolFields()) {
            out.append("<tr><th>").append(field.key()).append("</th><td>").append(markupValue(field.value(), false))
                    .append("</td></tr>\n");
        }
        out.append("</table>\n");
        if (full) {
            out.append("<table border=\"1\">\n<tr>");
            List<WorkerView> workers = scoreboard.workers();
            List<Field> header = processFields(workers.isEmpty()
                    ? new WorkerView(0, WorkerState.IDLE, 0, 0, 0) : workers.getFirst());
            for (Field field : header) {
                out.append("<th>").append(field.key()).append("</th>");
            }
            out.append("</tr>\n");
            for (WorkerView worker : workers) {
                out.append("<tr>");
                for (Field field : processFields(worker)) {
                    out.append("<td>").append(markupValue(field.value(), false)).append("</td>");
                }
                out.append("</tr>\n");
            }
            out.append("</table>\n");
        }
        return out.append("</body></html>\n").toString();
    }

    // ---- OpenMetrics

    private String openMetrics() {
        StringBuilder out = new StringBuilder(2048);
        String pool = "pool=\"" + labelValue(status.pool()) + '"';
        long now = scoreboard.nowNanos();
        family(out, "phpfpm_up", "gauge", "Could pool " + status.pool() + " using a " + status.processManager()
                + " PM on PHP-FPM be reached?");
        sample(out, "phpfpm_up", pool, "1");
        metric(out, pool, "phpfpm_start_since", "counter", "The number of seconds since FPM has started.",
                seconds(now - status.startNanos()));
        metric(out, pool, "phpfpm_accepted_connections", "counter", "The number of requests accepted by the pool.",
                status.acceptedConn());
        metric(out, pool, "phpfpm_listen_queue", "gauge",
                "The number of requests in the queue of pending connections.", status.listenQueue());
        metric(out, pool, "phpfpm_max_listen_queue", "counter",
                "The maximum number of requests in the queue of pending connections since FPM has started.",
                status.maxListenQueue());
        metric(out, pool, "phpfpm_listen_queue_length", "gauge",
                "The size of the socket queue of pending connections.", status.listenQueueLen());
        metric(out, pool, "phpfpm_idle_processes", "gauge", "The number of idle processes.",
                status.idleProcesses());
        metric(out, pool, "phpfpm_active_processes", "gauge", "The number of active processes.",
                status.activeProcesses());
        metric(out, pool, "phpfpm_total_processes", "gauge", "The number of idle + active processes.",
                status.totalProcesses());
        metric(out, pool, "phpfpm_max_active_processes", "counter",
                "The maximum number of active processes since FPM has started.", status.maxActiveProcesses());
        metric(out, pool, "phpfpm_max_children_reached", "counter",
                "The number of times, the process limit has been reached, when pm tries to start more children "
                        + "(works only for pm 'dynamic' and 'ondemand').", status.maxChildrenReached());
        metric(out, pool, "phpfpm_slow_requests", "counter",
                "The number of requests that exceeded your 'request_slowlog_timeout' value.", status.slowRequests());
        metric(out, pool, "phpfpm_rejected_requests", "counter",
                "The number of requests refused with FCGI_OVERLOADED because the listen queue was full.",
                status.rejected());
        family(out, "phpfpm_max_queue_wait_seconds", "gauge",
                "The longest time a request waited in the listen queue for a worker, in seconds.");
        sample(out, "phpfpm_max_queue_wait_seconds", pool,
                Double.toString(status.maxQueueWaitNanos() / 1e9));

        List<WorkerView> workers = scoreboard.workers();
        family(out, "phpfpm_process_requests", "counter", "The number of requests the process has served.");
        for (WorkerView worker : workers) {
            sample(out, "phpfpm_process_requests", processLabels(pool, worker), Long.toString(worker.requests()));
        }
        family(out, "phpfpm_process_request_duration", "gauge",
                "The duration in microseconds of the current request, or of the last one when idle.");
        for (WorkerView worker : workers) {
            sample(out, "phpfpm_process_request_duration", processLabels(pool, worker),
                    Long.toString(TimeUnit.NANOSECONDS.toMicros(worker.requestDurationNanos(now))));
        }
        family(out, "phpfpm_process_state", "gauge", "The state of the process (1 for its current state).");
        for (WorkerView worker : workers) {
            for (WorkerState state : WorkerState.values()) {
                sample(out, "phpfpm_process_state", processLabels(pool, worker) + ",state=\""
                        + labelValue(state.label()) + '"', worker.state() == state ? "1" : "0");
            }
        }
        return out.append("# EOF\n").toString();
    }

    private static String processLabels(String pool, WorkerView worker) {
        return pool + ",pid=\"" + worker.pid() + '"';
    }

    private static void metric(StringBuilder out, String pool, String name, String type, String help, long value) {
        family(out, name, type, help);
        sample(out, name, pool, Long.toString(value));
    }

    private static void family(StringBuilder out, String name, String type, String help) {
        out.append("# HELP ").append(name).append(' ').append(helpText(help)).append('\n');
        out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static void sample(StringBuilder out, String name, String labels, String value) {
        out.append(name).append('{').append(labels).append("} ").append(value).append('\n');
    }

    private static String helpText(String s) {
        return s.replace("\\", "\\\\").replace("\n", "\\n");
    }

    private static String labelValue(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
