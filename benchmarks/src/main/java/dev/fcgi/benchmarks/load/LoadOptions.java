package dev.fcgi.benchmarks.load;

import dev.fcgi.benchmarks.Durations;
import dev.fcgi.protocol.FcgiTransport;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The command line of {@link FcgiLoad}, parsed and checked: every mistake is an {@link IllegalArgumentException}
 * whose message names the option, the value given and what was expected.
 */
final class LoadOptions {

    /** No run lasts longer than this, warm-up included, so that a run always ends by itself. */
    static final Duration MAX_RUN_TIME = Duration.ofHours(1);
    static final int MAX_CONNECTIONS = 10_000;

    static final String USAGE = """
            usage: java -jar fcgi-load.jar [options] ADDRESS
              ADDRESS                  host:port, [::1]:port or unix:/path/to.sock
            load:
              -c, --connections N      virtual users, each with one request outstanding (default 16)
              -t, --threads N          I/O threads (default: the number of CPUs)
              -d, --duration T         how long to measure: 500ms, 10s, 2m (default 10s; with -n alone, up to 1h)
              -n, --requests N         stop after N measured requests (whichever of -d and -n comes first)
                  --warmup T           send requests for T first without recording them (default 0s)
              -R, --rate N             open loop: N requests/s over all connections, latency measured from each
                                       request's intended send time (coordinated omission corrected, as wrk2);
                                       without -R, closed loop
                  --keep-conn on|off   keep connections open between requests (default on)
                  --multiplex N        up to N requests at once per connection, when the backend answers
                                       FCGI_MPXS_CONNS=1 (default 1: no multiplexing, as nginx)
                  --timeout T          time limit of a request, connecting included (default 10s)
            request:
                  --uri URI            REQUEST_URI, path and query (default /)
                  --method M           REQUEST_METHOD (default GET, or POST with a body)
                  --document-root D    DOCUMENT_ROOT (default /var/www/html)
                  --script-filename F  SCRIPT_FILENAME (default: DOCUMENT_ROOT + the path, index.php for a /)
              -H, --header 'N: v'      an HTTP header, sent as HTTP_N (repeatable)
              -p, --param NAME=VALUE   a CGI variable, added or replacing one (repeatable)
                  --body-size N        a body of N bytes (16k, 1m), sent with CONTENT_LENGTH and CONTENT_TYPE
                  --body-file F        the body read from a file
                  --mix FILE           a request mix instead of --uri/--method/--body-*: one line per kind,
                                       'weight method uri [body-size]', picked by weight; # comments
            output:
                  --json               one line of JSON instead of the summary
              -h, --help               this text
            exit status: 0 when some requests got a response, 1 when none did or the backend cannot be reached,
            2 for a usage error.
            """;

    private final SocketAddress address;
    private final String target;
    private final int connections;
    private final int threads;
    private final Duration duration;
    private final long requests;
    private final Duration warmup;
    private final double rate;
    private final boolean keepConn;
    private final int multiplex;
    private final Duration timeout;
    private final boolean json;
    private final RequestMix mix;
    private final CgiRequestTemplate template;

    private LoadOptions(Parser p) throws IOException {
        if (p.address == null) {
            throw new IllegalArgumentException("missing ADDRESS (host:port, [::1]:port or unix:/path/to.sock)");
        }
        address = parseAddress(p.address);
        target = FcgiTransport.formatAddress(address);
        connections = p.connections;
        threads = p.threads;
        requests = p.requests;
        warmup = p.warmup;
        if (warmup.compareTo(MAX_RUN_TIME) >= 0) {
            throw new IllegalArgumentException("--warmup: " + Durations.text(warmup) + " (expected: less than 1h)");
        }
        Duration room = MAX_RUN_TIME.minus(warmup);
        if (p.duration == null) {
            duration = requests > 0 ? room : Duration.ofSeconds(10);
        } else if (p.duration.compareTo(room) > 0) {
            throw new IllegalArgumentException("-d/--duration: " + Durations.text(p.duration)
                    + " (expected: at most 1h with the warm-up; a run is capped at 1h)");
        } else {
            duration = p.duration;
        }
        rate = p.rate;
        keepConn = p.keepConn;
        multiplex = p.multiplex;
        if (multiplex > 1 && !keepConn) {
            throw new IllegalArgumentException("--multiplex " + multiplex + " needs --keep-conn on (a connection"
                    + " closed after each request carries one request)");
        }
        timeout = p.timeout;
        json = p.json;
        mix = mix(p);
        template = new CgiRequestTemplate(p.documentRoot, p.scriptFilename, p.headers, p.params);
    }

    /**
     * Parses a command line; {@code -h} is for the caller to look for first ({@link #wantsHelp}).
     *
     * @throws IllegalArgumentException for a usage error, with a message for the operator
     * @throws IOException              when the mix file or body file cannot be read
     */
    static LoadOptions parse(String... args) throws IOException {
        Parser parser = new Parser();
        parser.parse(args);
        return new LoadOptions(parser);
    }

    /** Whether the command line asks for help. */
    static boolean wantsHelp(String... args) {
        for (String arg : args) {
            if (arg.equals("-h") || arg.equals("--help")) {
                return true;
            }
        }
        return false;
    }

    private static RequestMix mix(Parser p) throws IOException {
        if (p.bodySize != null && p.bodyFile != null) {
            throw new IllegalArgumentException("--body-size and --body-file: give one of them");
        }
        if (p.mixFile != null) {
            for (String option : List.of("--uri", "--method", "--body-size", "--body-file")) {
                if (p.given.contains(option)) {
                    throw new IllegalArgumentException("--mix gives each request's method, uri and body size:"
                            + " drop " + option);
                }
            }
            return RequestMix.read(readable("--mix", p.mixFile));
        }
        byte[] body = new byte[0];
        if (p.bodySize != null) {
            body = RequestMix.body(p.bodySize);
        } else if (p.bodyFile != null) {
            Path file = readable("--body-file", p.bodyFile);
            if (Files.size(file) > RequestMix.MAX_BODY_SIZE) {
                throw new IllegalArgumentException("--body-file: " + file + " is larger than 256m");
            }
            body = Files.readAllBytes(file);
        }
        String method = p.method != null ? p.method : body.length > 0 ? "POST" : "GET";
        try {
            return RequestMix.of(method, p.uri, body);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException((e.getMessage().startsWith("uri") ? "--uri: " : "--method: ")
                    + e.getMessage());
        }
    }

    private static Path readable(String option, String name) {
        Path file = Path.of(name);
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new IllegalArgumentException(option + ": cannot read '" + name + "' (no such readable file)");
        }
        return file;
    }

    private static SocketAddress parseAddress(String text) {
        String value = text.strip();
        if (value.matches("\\d+")) {
            value = "127.0.0.1:" + value;
        } else if (!value.startsWith("unix:") && !value.startsWith("/") && value.indexOf(':') < 0) {
            throw new IllegalArgumentException("ADDRESS: '" + text + "' (expected: host:port, [::1]:port or"
                    + " unix:/path/to.sock)");
        }
        SocketAddress address;
        try {
            address = FcgiTransport.parseAddress(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("ADDRESS: '" + text + "' (expected: host:port, [::1]:port or"
                    + " unix:/path/to.sock)");
        }
        if (address instanceof InetSocketAddress inet) {
            if (inet.isUnresolved()) {
                throw new IllegalArgumentException("ADDRESS: cannot resolve host '" + inet.getHostString() + "'");
            }
            if (inet.getPort() == 0) {
                throw new IllegalArgumentException("ADDRESS: '" + text + "': port 0");
            }
        }
        return address;
    }

    SocketAddress address() {
        return address;
    }

    /** The address as written in reports: {@code 127.0.0.1:9000}, {@code unix:/run/php.sock}. */
    String target() {
        return target;
    }

    int connections() {
        return connections;
    }

    int threads() {
        return threads;
    }

    Duration duration() {
        return duration;
    }

    /** The number of measured requests to send, or 0 for as many as fit in the duration. */
    long requests() {
        return requests;
    }

    Duration warmup() {
        return warmup;
    }

    /** Requests per second over all connections (open loop), or 0 for a closed loop. */
    double rate() {
        return rate;
    }

    boolean keepConn() {
        return keepConn;
    }

    /** The requests per connection asked for; 1 means no multiplexing. */
    int multiplex() {
        return multiplex;
    }

    Duration timeout() {
        return timeout;
    }

    boolean json() {
        return json;
    }

    RequestMix mix() {
        return mix;
    }

    CgiRequestTemplate template() {
        return template;
    }

    /** The mutable state of one parse. */
    private static final class Parser {

        String address;
        int connections = 16;
        int threads = Runtime.getRuntime().availableProcessors();
        Duration duration;
        long requests;
        Duration warmup = Duration.ZERO;
        double rate;
        boolean keepConn = true;
        int multiplex = 1;
        Duration timeout = Duration.ofSeconds(10);
        boolean json;
        String uri = "/";
        String method;
        String documentRoot = CgiRequestTemplate.DEFAULT_DOCUMENT_ROOT;
        String scriptFilename;
        final List<Map.Entry<String, String>> headers = new ArrayList<>();
        final Map<String, String> params = new LinkedHashMap<>();
        Long bodySize;
        String bodyFile;
        String mixFile;
        final List<String> given = new ArrayList<>();

        void parse(String[] args) {
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
                if (!arg.startsWith("-") || arg.equals("-")) {
                    if (address != null) {
                        throw new IllegalArgumentException("unexpected argument '" + arg + "' (ADDRESS is already '"
                                + address + "')");
                    }
                    address = arg;
                    continue;
                }
                String name = arg;
                String value = null;
                int eq = arg.indexOf('=');
                if (arg.startsWith("--") && eq > 0) {
                    name = arg.substring(0, eq);
                    value = arg.substring(eq + 1);
                } else if (!arg.startsWith("--") && arg.length() > 2) {
                    name = arg.substring(0, 2);
                    value = arg.substring(2);
                }
                String option = canonical(name);
                given.add(option);
                if (option.equals("--json")) {
                    if (value != null) {
                        throw new IllegalArgumentException("--json takes no value");
                    }
                    json = true;
                    continue;
                }
                if (value == null) {
                    if (i + 1 >= args.length) {
                        throw new IllegalArgumentException(option + " needs a value");
                    }
                    value = args[++i];
                }
                apply(option, value);
            }
        }

        private static String canonical(String name) {
            return switch (name) {
                case "-c", "--connections" -> "--connections";
                case "-t", "--threads" -> "--threads";
                case "-d", "--duration" -> "--duration";
                case "-n", "--requests" -> "--requests";
                case "-R", "--rate" -> "--rate";
                case "-H", "--header" -> "--header";
                case "-p", "--param" -> "--param";
                case "--warmup", "--keep-conn", "--multiplex", "--timeout", "--uri", "--method", "--document-root",
                     "--script-filename", "--body-size", "--body-file", "--mix", "--json" -> name;
                default -> throw new IllegalArgumentException("unknown option '" + name + "' (-h lists them)");
            };
        }

        private void apply(String option, String value) {
            switch (option) {
                case "--connections" -> connections = (int) integer("-c/--connections", value, 1, MAX_CONNECTIONS);
                case "--threads" -> threads = (int) integer("-t/--threads", value, 1, 256);
                case "--duration" -> duration = positive("-d/--duration", value);
                case "--requests" -> requests = integer("-n/--requests", value, 1, Long.MAX_VALUE);
                case "--warmup" -> warmup = Durations.parse("--warmup", value);
                case "--rate" -> rate = rate(value);
                case "--keep-conn" -> keepConn = switch (value.toLowerCase(Locale.ROOT)) {
                    case "on", "true", "yes", "1" -> true;
                    case "off", "false", "no", "0" -> false;
                    default -> throw new IllegalArgumentException("--keep-conn: '" + value + "' (expected: on or"
                            + " off)");
                };
                case "--multiplex" -> multiplex = (int) integer("--multiplex", value, 1, 65_535);
                case "--timeout" -> timeout = positive("--timeout", value);
                case "--uri" -> uri = value;
                case "--method" -> method = value;
                case "--document-root" -> documentRoot = value;
                case "--script-filename" -> scriptFilename = value;
                case "--header" -> headers.add(header(value));
                case "--param" -> param(value);
                case "--body-size" -> bodySize = size("--body-size", value);
                case "--body-file" -> bodyFile = value;
                case "--mix" -> mixFile = value;
                default -> throw new AssertionError(option);
            }
        }

        private static long integer(String option, String value, long min, long max) {
            long n;
            try {
                n = Long.parseLong(value.strip().replace("_", ""));
            } catch (NumberFormatException e) {
                n = min - 1;
            }
            if (n < min || n > max) {
                throw new IllegalArgumentException(option + ": '" + value + "' (expected: an integer from " + min
                        + (max == Long.MAX_VALUE ? " up" : " to " + max) + ")");
            }
            return n;
        }

        private static Duration positive(String option, String value) {
            Duration d = Durations.parse(option, value);
            if (d.toMillis() < 1) {
                throw new IllegalArgumentException(option + ": '" + value + "' (expected: at least 1ms)");
            }
            return d;
        }

        private static double rate(String value) {
            double r;
            try {
                r = Double.parseDouble(value.strip());
            } catch (NumberFormatException e) {
                r = 0;
            }
            if (!(r > 0 && r <= 10_000_000)) {
                throw new IllegalArgumentException("-R/--rate: '" + value + "' (expected: requests per second, more"
                        + " than 0 and at most 10000000)");
            }
            return r;
        }

        private static long size(String option, String value) {
            try {
                return RequestMix.parseSize(value);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(option + ": " + e.getMessage());
            }
        }

        private static Map.Entry<String, String> header(String value) {
            int colon = value.indexOf(':');
            String name = colon < 0 ? "" : value.substring(0, colon).strip();
            if (name.isEmpty() || !name.chars().allMatch(c -> c > ' ' && c < 0x7F && c != ':')) {
                throw new IllegalArgumentException("-H/--header: '" + value + "' (expected: 'Name: value')");
            }
            return Map.entry(name, value.substring(colon + 1).strip());
        }

        private void param(String value) {
            int eq = value.indexOf('=');
            if (eq < 1) {
                throw new IllegalArgumentException("-p/--param: '" + value + "' (expected: NAME=VALUE)");
            }
            params.put(value.substring(0, eq), value.substring(eq + 1));
        }
    }
}
