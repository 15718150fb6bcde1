package dev.fcgi.benchmarks.soak;

import dev.fcgi.benchmarks.Durations;
import dev.fcgi.protocol.FcgiTransport;

import java.net.SocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The soak driver's command line ({@link Soak#USAGE}), parsed and checked: every mistake is an
 * {@link IllegalArgumentException} that names the option.
 *
 * @param nginx          nginx's base URI, {@code http://127.0.0.1:PORT}
 * @param fcgi           the pool's socket for the FcgiClient calls, or null without them
 * @param serverPid      the daemon's process id
 * @param serverLog      the daemon's error_log
 * @param serverOutput   the daemon's standard error (its exit totals), or null
 * @param config         the daemon's php-fpm.conf, rewritten before each reload, or null
 * @param nginxErrorLog  nginx's error log, for the causes of its refusals, or null
 * @param warmup         traffic before the first measurement
 * @param duration       the main phase
 * @param maxRequests    the most calls of the main phase (0: as many as fit in its duration)
 * @param users          concurrent calls through nginx
 * @param clientUsers    concurrent calls through FcgiClient
 * @param reloadEvery    time between reloads in the main phase (zero: none)
 * @param sampleEvery    time between the server's samples in the main phase
 * @param gracefulStop   end with a graceful stop under load
 * @param stopAfter      traffic of the stop phase before the signal
 * @param stopTimeout    how long the daemon may take to exit after the signal
 * @param timeout        the time limit of one call
 * @param settleTimeout  how long the pool may take to come back to a steady number of workers before a measurement
 * @param report         the markdown report's file, or null
 * @param label          a line for the report (the command that ran)
 * @param seed           the seed of the mix
 */
record SoakOptions(URI nginx, SocketAddress fcgi, long serverPid, Path serverLog, Path serverOutput, Path config,
                   Path nginxErrorLog, Duration warmup, Duration duration, long maxRequests, int users, int clientUsers,
                   Duration reloadEvery, Duration sampleEvery, boolean gracefulStop, Duration stopAfter,
                   Duration stopTimeout, Duration timeout, Duration settleTimeout, Path report, String label,
                   long seed) {

    /** No phase lasts longer than this, so that a run always ends by itself. */
    static final Duration MAX_PHASE = Duration.ofHours(12);

    /**
     * Parses the command line.
     *
     * @throws IllegalArgumentException for a usage error, with a message for the operator
     */
    static SoakOptions parse(List<String> args) {
        URI nginx = null;
        SocketAddress fcgi = null;
        long pid = 0;
        Path log = null;
        Path output = null;
        Path config = null;
        Path nginxErrorLog = null;
        Duration warmup = Duration.ofSeconds(30);
        Duration duration = Duration.ofMinutes(10);
        long maxRequests = 0;
        int users = 12;
        int clientUsers = 4;
        Duration reloadEvery = Duration.ZERO;
        Duration sampleEvery = Duration.ofSeconds(60);
        boolean gracefulStop = false;
        Duration stopAfter = Duration.ofSeconds(3);
        Duration stopTimeout = Duration.ofSeconds(45);
        Duration timeout = Duration.ofSeconds(60);
        Duration settleTimeout = Duration.ofSeconds(60);
        Path report = null;
        String label = "";
        long seed = 1;
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (arg.equals("--graceful-stop")) {
                gracefulStop = true;
                continue;
            }
            if (i + 1 >= args.size()) {
                throw new IllegalArgumentException(arg + (arg.startsWith("--") ? " needs a value" : ": unknown"));
            }
            String value = args.get(++i);
            switch (arg) {
                case "--nginx" -> nginx = uri(value);
                case "--fcgi" -> fcgi = address(value);
                case "--server-pid" -> pid = number(arg, value, 1, Long.MAX_VALUE);
                case "--server-log" -> log = Path.of(value);
                case "--server-output" -> output = Path.of(value);
                case "--config" -> config = Path.of(value);
                case "--nginx-error-log" -> nginxErrorLog = Path.of(value);
                case "--warmup" -> warmup = time(arg, value);
                case "--duration" -> duration = time(arg, value);
                case "--max-requests" -> maxRequests = number(arg, value, 0, Long.MAX_VALUE);
                case "--users" -> users = (int) number(arg, value, 1, 1000);
                case "--client-users" -> clientUsers = (int) number(arg, value, 0, 1000);
                case "--reload-every" -> reloadEvery = time(arg, value);
                case "--sample-every" -> sampleEvery = time(arg, value);
                case "--stop-after" -> stopAfter = time(arg, value);
                case "--stop-timeout" -> stopTimeout = time(arg, value);
                case "--timeout" -> timeout = time(arg, value);
                case "--settle-timeout" -> settleTimeout = time(arg, value);
                case "--report" -> report = Path.of(value);
                case "--label" -> label = value;
                case "--seed" -> seed = number(arg, value, Long.MIN_VALUE, Long.MAX_VALUE);
                default -> throw new IllegalArgumentException("unknown option '" + arg + "' (--help lists them)");
            }
        }
        if (nginx == null || pid == 0 || log == null) {
            throw new IllegalArgumentException("--nginx, --server-pid and --server-log are required");
        }
        if (clientUsers > 0 && fcgi == null) {
            throw new IllegalArgumentException("--client-users " + clientUsers + " needs --fcgi ADDRESS");
        }
        if (gracefulStop && output == null) {
            throw new IllegalArgumentException("--graceful-stop needs --server-output (the handler's totals at exit)");
        }
        if (!reloadEvery.isZero() && reloadEvery.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new IllegalArgumentException("--reload-every: at least 1s, or 0 for no reload");
        }
        if (sampleEvery.compareTo(Duration.ofSeconds(1)) < 0 || timeout.isZero()) {
            throw new IllegalArgumentException("--sample-every and --timeout: at least 1s");
        }
        return new SoakOptions(nginx, fcgi, pid, log, output, config, nginxErrorLog, warmup, duration, maxRequests, users,
                clientUsers, reloadEvery, sampleEvery, gracefulStop, stopAfter, stopTimeout, timeout, settleTimeout,
                report, label, seed);
    }

    private static Duration time(String option, String value) {
        Duration d = Durations.parse(option, value);
        if (d.compareTo(MAX_PHASE) > 0) {
            throw new IllegalArgumentException(option + ": " + value + " (expected: at most 12h)");
        }
        return d;
    }

    private static long number(String option, String value, long min, long max) {
        try {
            long n = Long.parseLong(value.strip());
            if (n < min || n > max) {
                throw new IllegalArgumentException(option + ": " + value + " (expected: " + min + " to " + max + ")");
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + ": '" + value + "' (expected: a number)", e);
        }
    }

    private static URI uri(String value) {
        URI uri = URI.create(value.endsWith("/") ? value.substring(0, value.length() - 1) : value);
        if (!"http".equals(uri.getScheme()) || uri.getHost() == null || uri.getPort() < 0) {
            throw new IllegalArgumentException("--nginx: '" + value + "' (expected: http://127.0.0.1:PORT)");
        }
        return uri;
    }

    private static SocketAddress address(String value) {
        try {
            return FcgiTransport.parseAddress(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--fcgi: '" + value + "' (expected: host:port or unix:/path)", e);
        }
    }
}
