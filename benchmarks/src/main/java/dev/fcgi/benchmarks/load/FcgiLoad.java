package dev.fcgi.benchmarks.load;

import dev.fcgi.benchmarks.Durations;
import dev.fcgi.protocol.client.FcgiClient;
import dev.fcgi.protocol.client.FcgiConnectException;
import io.netty.channel.EventLoopGroup;

import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * fcgi-load: a load generator that speaks FastCGI straight to a backend (php-fpm, this library's server, any
 * FastCGI application), like wrk does HTTP, on this library's {@link FcgiClient}.
 *
 * <pre>
 * java -jar benchmarks/target/fcgi-load.jar [options] ADDRESS
 *   ADDRESS                  host:port, [::1]:port or unix:/path/to.sock
 * load:
 *   -c, --connections N      virtual users, each with one request outstanding (default 16)
 *   -t, --threads N          I/O threads (default: the number of CPUs)
 *   -d, --duration T         how long to measure: 500ms, 10s, 2m (default 10s; with -n alone, up to 1h)
 *   -n, --requests N         stop after N measured requests (whichever of -d and -n comes first)
 *       --warmup T           send requests for T first without recording them (default 0s)
 *   -R, --rate N             open loop: N requests/s over all connections, latency measured from each
 *                            request's intended send time (coordinated omission corrected, as wrk2);
 *                            without -R, closed loop
 *       --keep-conn on|off   keep connections open between requests (default on)
 *       --multiplex N        up to N requests at once per connection, when the backend answers
 *                            FCGI_MPXS_CONNS=1 (default 1: no multiplexing, as nginx)
 *       --timeout T          time limit of a request, connecting included (default 10s)
 * request:
 *       --uri URI            REQUEST_URI, path and query (default /)
 *       --method M           REQUEST_METHOD (default GET, or POST with a body)
 *       --document-root D    DOCUMENT_ROOT (default /var/www/html)
 *       --script-filename F  SCRIPT_FILENAME (default: DOCUMENT_ROOT + the path, index.php for a /)
 *   -H, --header 'N: v'      an HTTP header, sent as HTTP_N (repeatable)
 *   -p, --param NAME=VALUE   a CGI variable, added or replacing one (repeatable)
 *       --body-size N        a body of N bytes (16k, 1m), sent with CONTENT_LENGTH and CONTENT_TYPE
 *       --body-file F        the body read from a file
 *       --mix FILE           a request mix instead of --uri/--method/--body-*: one line per kind,
 *                            'weight method uri [body-size]', picked by weight; # comments
 * output:
 *       --json               one line of JSON instead of the summary
 *   -h, --help               this text
 * exit status: 0 when some requests got a response, 1 when none did or the backend cannot be reached,
 * 2 for a usage error.
 * </pre>
 *
 * <p>For example, php-fpm's hello.php, 64 users for 30 s after 5 s of warm-up, then the same at a fixed rate:
 *
 * <pre>
 * java -jar fcgi-load.jar -c 64 -d 30s --warmup 5s --document-root /var/www/html --uri /hello.php 127.0.0.1:9000
 * java -jar fcgi-load.jar -c 64 -d 30s -R 5000 --json --uri /hello.php unix:/run/php/php8.2-fpm.sock
 * </pre>
 *
 * <p>Each request carries the CGI variables nginx sends with its stock {@code fastcgi_params}
 * ({@link CgiRequestTemplate}). Before the run, one GET_VALUES question checks that the backend can be reached
 * and whether it multiplexes ({@link BackendInfo}). Latencies go into an HdrHistogram; the counts and rates cover
 * the measured requests only: as in wrk, what completes after the deadline is not counted. The summary counts
 * responses by status class, failed requests by kind (connect, timeout, refused, protocol, other; with the first
 * message of each), the responses that came with FCGI_STDERR output, the requests still in flight at the end
 * with the longest wait among them (seconds mean requests the backend never took up: php-fpm with more kept
 * connections than children), and the CPU time the generator itself used. Response bodies are read to their end
 * and counted, never kept. Ctrl-C stops the run early and still prints the report.
 *
 * <p>On Java 25, Netty leaves {@code sun.misc.Unsafe} alone unless the JVM runs with
 * {@code --sun-misc-unsafe-memory-access=allow}, which saves the generator about 1 µs of CPU per request.
 */
public final class FcgiLoad {

    private FcgiLoad() {
    }

    /**
     * Runs the command line and exits with its status. Unless set on the command line, the client's warnings are
     * not logged (failed requests are counted and reported instead) and Netty's leak detector is off (it costs
     * some 2 µs of CPU per request).
     */
    public static void main(String[] args) {
        defaultProperty("org.slf4j.simpleLogger.defaultLogLevel", "error");
        defaultProperty("io.netty.leakDetection.level", "disabled");
        System.exit(run(args, System.out, System.err));
    }

    private static void defaultProperty(String name, String value) {
        if (System.getProperty(name) == null) {
            System.setProperty(name, value);
        }
    }

    /** Runs the command line, printing the report to {@code out} and problems to {@code err}; the exit status. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        if (LoadOptions.wantsHelp(args)) {
            out.print(LoadOptions.USAGE);
            return 0;
        }
        LoadOptions options;
        try {
            options = LoadOptions.parse(args);
        } catch (IllegalArgumentException | IOException e) {
            err.println("fcgi-load: " + e.getMessage());
            err.println("usage: java -jar fcgi-load.jar [options] ADDRESS (-h for help)");
            return 2;
        }
        List<EventLoopGroup> threads = LoadGenerator.newThreads(options.threads());
        try {
            return run(options, threads, out, err);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("fcgi-load: interrupted");
            return 1;
        } finally {
            LoadGenerator.shutdown(threads);
        }
    }

    private static int run(LoadOptions options, List<EventLoopGroup> threads, PrintStream out, PrintStream err)
            throws InterruptedException {
        BackendInfo backend;
        try {
            backend = BackendInfo.probe(options.address(), threads.get(0), options.timeout());
        } catch (FcgiConnectException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            err.println("fcgi-load: cannot reach the backend at " + options.target() + ": " + cause.getMessage());
            return 1;
        }
        if (options.multiplex() > 1 && !backend.multiplexes()) {
            err.println("fcgi-load: " + options.target() + " does not multiplex (" + backend.describe()
                    + "): one request per connection");
        }
        try (LoadGenerator generator = new LoadGenerator(options, backend, threads)) {
            if (!options.json()) {
                out.println(generator.describe().describe(length(options)));
                out.println("  backend: " + backend.describe());
            }
            CountDownLatch reported = new CountDownLatch(1);
            Thread onCtrlC = new Thread(() -> {
                generator.stop();
                try {
                    reported.await(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "fcgi-load-stop");
            Runtime.getRuntime().addShutdownHook(onCtrlC);
            LoadReport report;
            try {
                report = generator.run();
                out.print(options.json() ? report.json() + System.lineSeparator() : report.text());
                out.flush();
            } finally {
                reported.countDown();
                try {
                    Runtime.getRuntime().removeShutdownHook(onCtrlC);
                } catch (IllegalStateException e) {
                    // the JVM is shutting down (Ctrl-C): the hook is running
                }
            }
            if (report.responses() == 0) {
                err.println("fcgi-load: no request got a response from " + options.target() + firstError(report));
                return 1;
            }
            return 0;
        }
    }

    /** How long the run lasts, in words: {@code 10s}, {@code 1000 requests}, {@code 1000 requests or 10s}. */
    private static String length(LoadOptions options) {
        String time = Durations.text(options.duration());
        String length = options.requests() == 0 ? time
                : options.duration().equals(LoadOptions.MAX_RUN_TIME.minus(options.warmup()))
                ? options.requests() + " requests" : options.requests() + " requests or " + time;
        return options.warmup().isZero() ? length : length + " after " + Durations.text(options.warmup())
                + " of warm-up";
    }

    private static String firstError(LoadReport report) {
        for (ErrorKind kind : ErrorKind.values()) {
            if (report.errors(kind) > 0) {
                return " (" + report.errors() + " errors; first " + kind.label() + " error: "
                        + report.firstError(kind) + ")";
            }
        }
        return "";
    }
}
