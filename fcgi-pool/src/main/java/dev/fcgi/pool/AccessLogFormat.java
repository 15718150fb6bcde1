package dev.fcgi.pool;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.SignStyle;
import java.time.format.TextStyle;
import java.time.temporal.ChronoField;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * FPM's {@code access.format}: parsed and validated once, then used to format one access log line per request.
 * The tokens are FPM's ({@code fpm_log.c}), and an invalid format is refused with FPM's own words:
 * <table>
 * <caption>Tokens</caption>
 * <tr><td>{@code %%}</td><td>{@code %}</td></tr>
 * <tr><td>{@code %C}, {@code %{total}C}, {@code %{user}C}, {@code %{system}C}</td><td>CPU time of the worker thread
 * for the request, in percent of the request's wall time ({@code %.2f})</td></tr>
 * <tr><td>{@code %d}, {@code %{seconds}d}, {@code %{milli}d} ({@code milliseconds}, {@code mili},
 * {@code miliseconds}), {@code %{micro}d} ({@code microseconds})</td><td>the request's duration, from accept to the
 * handler's end: {@code %.3f} seconds, {@code %.3f} milliseconds, integer microseconds</td></tr>
 * <tr><td>{@code %{NAME}e}</td><td>the FastCGI parameter {@code NAME}, {@code -} when absent</td></tr>
 * <tr><td>{@code %f}</td><td>{@code SCRIPT_FILENAME}, {@code -} when absent</td></tr>
 * <tr><td>{@code %l}</td><td>{@code CONTENT_LENGTH} (0 when absent)</td></tr>
 * <tr><td>{@code %m}</td><td>{@code REQUEST_METHOD}, {@code -} when absent</td></tr>
 * <tr><td>{@code %M}, {@code %{bytes}M}, {@code %{kilo}M} ({@code kilobytes}), {@code %{mega}M}
 * ({@code megabytes})</td><td>the bytes the worker thread <em>allocated</em> during the request (FPM prints the
 * process's peak memory, which means nothing for one thread of a JVM); 0 when the JVM cannot tell</td></tr>
 * <tr><td>{@code %n}</td><td>the pool's name</td></tr>
 * <tr><td>{@code %{Header}o}</td><td>the response header, {@code -} when absent</td></tr>
 * <tr><td>{@code %p} / {@code %P}</td><td>the worker's id ({@code -} for the pool's own pages) / the JVM's pid</td></tr>
 * <tr><td>{@code %q} / {@code %Q}</td><td>{@code QUERY_STRING} / {@code ?} when the query string is not empty</td></tr>
 * <tr><td>{@code %r}</td><td>the request URI as FPM sees it ({@code SCRIPT_NAME}, else {@code DOCUMENT_URI}, else the
 * path of {@code REQUEST_URI}; no query), empty when absent</td></tr>
 * <tr><td>{@code %R}</td><td>the IP address of the web server's end of the connection; {@code -} on a Unix
 * socket</td></tr>
 * <tr><td>{@code %s}</td><td>the HTTP status</td></tr>
 * <tr><td>{@code %t}, {@code %{strftime}t} / {@code %T}, {@code %{strftime}T}</td><td>the accept time / the time the
 * line is written, by a strftime pattern (default {@code %d/%b/%Y:%H:%M:%S %z}); the conversions {@code %a %A %b %h
 * %B %d %e %j %m %y %Y %H %I %M %S %p %z %Z %s %F %T %D %R %n %t %%} are understood, others are copied as they
 * are</td></tr>
 * <tr><td>{@code %u}</td><td>{@code PHP_AUTH_USER}, else {@code REMOTE_USER}, else {@code -}</td></tr>
 * </table>
 *
 * <p>Unlike FPM, lines are never truncated: FPM cuts every line at 1024 bytes (its fixed {@code FPM_LOG_BUFFER},
 * php-src bug #12302), and it cuts a modifier at 128 characters; neither is done here. A {@code %} at the very end
 * of the format writes nothing, as in FPM.
 */
public final class AccessLogFormat {

    /** FPM's default {@code access.format}. */
    public static final String DEFAULT = "%R - %u %t \"%m %r\" %s";
    private static final String DEFAULT_TIME = "%d/%b/%Y:%H:%M:%S %z";
    private static final long PID = ProcessHandle.current().pid();

    @FunctionalInterface
    private interface Part {
        void append(StringBuilder out, AccessLogEntry entry, ZoneId zone);
    }

    private final String pattern;
    private final List<Part> parts;

    private AccessLogFormat(String pattern, List<Part> parts) {
        this.pattern = pattern;
        this.parts = parts;
    }

    /**
     * Parses an {@code access.format}.
     *
     * @throws IllegalArgumentException with FPM's message, for example
     *                                  {@code Invalid token in the access.format (%X)}
     */
    public static AccessLogFormat parse(String format) {
        Objects.requireNonNull(format, "format");
        List<Part> parts = new ArrayList<>();
        StringBuilder literal = new StringBuilder();
        int n = format.length();
        int i = 0;
        while (i < n) {
            char c = format.charAt(i);
            if (c != '%') {
                literal.append(c);
                i++;
                continue;
            }
            i++;
            if (i >= n) {
                break; // FPM writes nothing for a trailing '%'
            }
            String arg = "";
            char token = format.charAt(i);
            while (token == '{') {
                int close = format.indexOf('}', i + 1);
                if (close < 0 || close == n - 1) {
                    throw new IllegalArgumentException("missing closing embrace in the access.format");
                }
                arg = format.substring(i + 1, close);
                i = close + 1;
                token = format.charAt(i);
            }
            i++;
            Part part = token(token, arg);
            if (part == null) {
                literal.append(token == '%' ? "%" : "");
                continue;
            }
            if (!literal.isEmpty()) {
                String text = literal.toString();
                parts.add((out, e, z) -> out.append(text));
                literal.setLength(0);
            }
            parts.add(part);
        }
        if (!literal.isEmpty()) {
            String text = literal.toString();
            parts.add((out, e, z) -> out.append(text));
        }
        return new AccessLogFormat(format, List.copyOf(parts));
    }

    /** The part for {@code %{arg}token}; {@code null} for {@code %%}, which is literal text. */
    private static Part token(char token, String arg) {
        switch (token) {
            case 'C':
                return cpu(token, arg);
            case 'd':
                return duration(token, arg);
            case 'e': {
                if (arg.isEmpty()) {
                    throw new IllegalArgumentException(
                            "the name of the environment variable must be set between embraces for %" + token);
                }
                return (out, e, z) -> out.append(dash(e.params().get(arg)));
            }
            case 'M':
                return memory(token, arg);
            case 'o': {
                if (arg.isEmpty()) {
                    throw new IllegalArgumentException("the name of the header must be set between embraces for %"
                            + token);
                }
                return (out, e, z) -> out.append(dash(e.responseHeaders().apply(arg)));
            }
            case 't':
            case 'T': {
                DateTimeFormatter time = strftime(arg.isEmpty() ? DEFAULT_TIME : arg);
                boolean accept = token == 't';
                return (out, e, z) -> time.formatTo((accept ? e.acceptTime() : e.logTime()).atZone(z), out);
            }
            default:
                break;
        }
        Part part = switch (token) {
            case '%' -> null;
            case 'f' -> (out, e, z) -> out.append(dash(e.request().script()));
            case 'l' -> (out, e, z) -> out.append(e.request().contentLength());
            case 'm' -> (out, e, z) -> out.append(dash(e.request().method()));
            case 'n' -> (out, e, z) -> out.append(e.pool());
            case 'p' -> (out, e, z) -> out.append(e.workerId() > 0 ? Long.toString(e.workerId()) : "-");
            case 'P' -> (out, e, z) -> out.append(PID);
            case 'q' -> (out, e, z) -> out.append(e.request().queryString());
            case 'Q' -> (out, e, z) -> out.append(e.request().queryString().isEmpty() ? "" : "?");
            case 'r' -> (out, e, z) -> out.append(e.request().uri() == null ? "" : e.request().uri());
            case 'R' -> (out, e, z) -> out.append(ip(e.peer()));
            case 's' -> (out, e, z) -> out.append(e.status());
            case 'u' -> (out, e, z) -> out.append(dash(e.request().user()));
            default -> throw new IllegalArgumentException("Invalid token in the access.format (%" + token + ")");
        };
        if (!arg.isEmpty()) {
            throw new IllegalArgumentException("embrace is not allowed for modifier %" + token);
        }
        return part;
    }

    private static Part cpu(char token, String arg) {
        int which; // 0 total, 1 user, 2 system
        if (arg.isEmpty() || arg.equalsIgnoreCase("total")) {
            which = 0;
        } else if (arg.equalsIgnoreCase("user")) {
            which = 1;
        } else if (arg.equalsIgnoreCase("system")) {
            which = 2;
        } else {
            throw new IllegalArgumentException("only 'total', 'user' or 'system' are allowed as a modifier for %"
                    + token + " ('" + arg + "')");
        }
        return (out, e, z) -> {
            long cpu = switch (which) {
                case 1 -> e.cpuUserNanos();
                case 2 -> e.cpuSystemNanos();
                default -> e.cpuUserNanos() + e.cpuSystemNanos();
            };
            double percent = e.durationNanos() == 0 ? 0 : cpu * 100.0 / e.durationNanos();
            out.append(String.format(Locale.ROOT, "%.2f", percent));
        };
    }

    private static Part duration(char token, String arg) {
        if (arg.isEmpty() || arg.equalsIgnoreCase("seconds")) {
            return (out, e, z) -> out.append(String.format(Locale.ROOT, "%.3f", e.durationNanos() / 1e9));
        }
        if (arg.equalsIgnoreCase("milliseconds") || arg.equalsIgnoreCase("milli")
                || arg.equalsIgnoreCase("miliseconds") || arg.equalsIgnoreCase("mili")) {
            return (out, e, z) -> out.append(String.format(Locale.ROOT, "%.3f", e.durationNanos() / 1e6));
        }
        if (arg.equalsIgnoreCase("microseconds") || arg.equalsIgnoreCase("micro")) {
            return (out, e, z) -> out.append(e.durationNanos() / 1000);
        }
        throw new IllegalArgumentException("only 'seconds', 'mili', 'miliseconds', 'micro' or 'microseconds' are "
                + "allowed as a modifier for %" + token + " ('" + arg + "')");
    }

    private static Part memory(char token, String arg) {
        long divisor;
        if (arg.isEmpty() || arg.equalsIgnoreCase("bytes")) {
            divisor = 1;
        } else if (arg.equalsIgnoreCase("kilobytes") || arg.equalsIgnoreCase("kilo")) {
            divisor = 1024;
        } else if (arg.equalsIgnoreCase("megabytes") || arg.equalsIgnoreCase("mega")) {
            divisor = 1024 * 1024;
        } else {
            throw new IllegalArgumentException("only 'bytes', 'kilo', 'kilobytes', 'mega' or 'megabytes' are allowed "
                    + "as a modifier for %" + token + " ('" + arg + "')");
        }
        return (out, e, z) -> out.append(e.allocatedBytes() / divisor);
    }

    private static String dash(String value) {
        return value == null || value.isEmpty() ? "-" : value;
    }

    private static String ip(SocketAddress peer) {
        if (peer instanceof InetSocketAddress inet && inet.getAddress() != null) {
            return inet.getAddress().getHostAddress();
        }
        return "-";
    }

    /** Translates a strftime pattern to a {@link DateTimeFormatter} (English names, as in the C locale). */
    static DateTimeFormatter strftime(String pattern) {
        DateTimeFormatterBuilder b = new DateTimeFormatterBuilder();
        int n = pattern.length();
        for (int i = 0; i < n; i++) {
            char c = pattern.charAt(i);
            if (c != '%' || i + 1 >= n) {
                b.appendLiteral(c);
                continue;
            }
            char conv = pattern.charAt(++i);
            switch (conv) {
                case 'a' -> b.appendText(ChronoField.DAY_OF_WEEK, TextStyle.SHORT);
                case 'A' -> b.appendText(ChronoField.DAY_OF_WEEK, TextStyle.FULL);
                case 'b', 'h' -> b.appendText(ChronoField.MONTH_OF_YEAR, TextStyle.SHORT);
                case 'B' -> b.appendText(ChronoField.MONTH_OF_YEAR, TextStyle.FULL);
                case 'd' -> b.appendValue(ChronoField.DAY_OF_MONTH, 2);
                case 'e' -> b.padNext(2).appendValue(ChronoField.DAY_OF_MONTH);
                case 'j' -> b.appendValue(ChronoField.DAY_OF_YEAR, 3);
                case 'm' -> b.appendValue(ChronoField.MONTH_OF_YEAR, 2);
                case 'y' -> b.appendValueReduced(ChronoField.YEAR, 2, 2, 2000);
                case 'Y' -> b.appendValue(ChronoField.YEAR, 4, 10, SignStyle.NORMAL);
                case 'H' -> b.appendValue(ChronoField.HOUR_OF_DAY, 2);
                case 'I' -> b.appendValue(ChronoField.CLOCK_HOUR_OF_AMPM, 2);
                case 'M' -> b.appendValue(ChronoField.MINUTE_OF_HOUR, 2);
                case 'S' -> b.appendValue(ChronoField.SECOND_OF_MINUTE, 2);
                case 'p' -> b.appendText(ChronoField.AMPM_OF_DAY, TextStyle.SHORT);
                case 'z' -> b.appendOffset("+HHMM", "+0000");
                case 'Z' -> b.appendZoneText(TextStyle.SHORT);
                case 's' -> b.appendValue(ChronoField.INSTANT_SECONDS);
                case 'F' -> b.append(strftime("%Y-%m-%d"));
                case 'T' -> b.append(strftime("%H:%M:%S"));
                case 'D' -> b.append(strftime("%m/%d/%y"));
                case 'R' -> b.append(strftime("%H:%M"));
                case 'n' -> b.appendLiteral('\n');
                case 't' -> b.appendLiteral('\t');
                case '%' -> b.appendLiteral('%');
                default -> b.appendLiteral("%" + conv);
            }
        }
        return b.toFormatter(Locale.US);
    }

    /** The format as given. */
    public String pattern() {
        return pattern;
    }

    /** One line (without its {@code \n}), with the times in {@code zone}. */
    public String format(AccessLogEntry entry, ZoneId zone) {
        StringBuilder out = new StringBuilder(128);
        for (Part part : parts) {
            part.append(out, entry, zone);
        }
        return out.toString();
    }

    /** One line (without its {@code \n}), with the times in UTC. */
    public String format(AccessLogEntry entry) {
        return format(entry, java.time.ZoneOffset.UTC);
    }

    @Override
    public String toString() {
        return "AccessLogFormat[" + pattern + ']';
    }
}
