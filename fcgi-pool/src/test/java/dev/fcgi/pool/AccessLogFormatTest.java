package dev.fcgi.pool;

import dev.fcgi.protocol.FcgiParameters;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.*;

class AccessLogFormatTest {

    private static final Instant ACCEPT = Instant.parse("2026-11-22T10:01:02Z");
    private static final RequestInfo REQUEST = new RequestInfo("GET", "/index.php", "a=1&b=2", 42, "alice",
            "/srv/www/index.php");

    private static AccessLogEntry entry(RequestInfo request, SocketAddress peer) {
        FcgiParameters params = new FcgiParameters().add("FOO", "bar").add("EMPTY", "");
        Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        headers.put("Content-Type", "text/html");
        return new AccessLogEntry("www", 3, request, params, peer, 201, headers::get, ACCEPT, 12_345_678L,
                3_000_000L, 1_000_000L, 5_000_000L, ACCEPT.plusSeconds(1));
    }

    private static AccessLogEntry entry() {
        try {
            return entry(REQUEST, new InetSocketAddress(InetAddress.getByAddress(new byte[]{127, 0, 0, 1}), 51234));
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static String format(String format) {
        return AccessLogFormat.parse(format).format(entry(), ZoneOffset.UTC);
    }

    private static void fails(String message, String format) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AccessLogFormat.parse(format),
                format);
        assertEquals(message, e.getMessage(), format);
    }

    @Test
    @DisplayName("the default format: %R - %u %t \"%m %r\" %s")
    void defaultFormat() {
        assertEquals("%R - %u %t \"%m %r\" %s", AccessLogFormat.DEFAULT);
        assertEquals(PoolConfig.DEFAULT_ACCESS_FORMAT, AccessLogFormat.DEFAULT);
        assertEquals("127.0.0.1 - alice 22/Nov/2026:10:01:02 +0000 \"GET /index.php\" 201",
                format(AccessLogFormat.DEFAULT));
        assertEquals("127.0.0.1 - alice 22/Nov/2026:11:01:02 +0100 \"GET /index.php\" 201",
                AccessLogFormat.parse(AccessLogFormat.DEFAULT).format(entry(), ZoneOffset.ofHours(1)));
    }

    @Test
    @DisplayName("the sample rich format")
    void richFormat() {
        assertEquals("127.0.0.1 - alice 22/Nov/2026:10:01:02 +0000 \"GET /index.php?a=1&b=2\" 201 "
                        + "/srv/www/index.php 12.346 4882 32.40%",
                format("%R - %u %t \"%m %r%Q%q\" %s %f %{milli}d %{kilo}M %C%%"));
    }

    @Test
    @DisplayName("every simple token")
    void simpleTokens() {
        assertEquals("%", format("%%"));
        assertEquals("/srv/www/index.php", format("%f"));
        assertEquals("42", format("%l"));
        assertEquals("GET", format("%m"));
        assertEquals("www", format("%n"));
        assertEquals("3", format("%p"));
        assertEquals(Long.toString(ProcessHandle.current().pid()), format("%P"));
        assertEquals("a=1&b=2", format("%q"));
        assertEquals("?", format("%Q"));
        assertEquals("/index.php", format("%r"));
        assertEquals("127.0.0.1", format("%R"));
        assertEquals("201", format("%s"));
        assertEquals("alice", format("%u"));
        assertEquals("plain text, 100% literal", format("plain text, 100%% literal"));
        assertEquals("end", format("end%"), "a trailing % writes nothing, as in FPM");
        assertEquals("", format(""));
    }

    @Test
    @DisplayName("absent values: -, empty or 0 as FPM writes them; %R is - on a Unix socket")
    void absentValues() {
        AccessLogEntry e = entry(new RequestInfo(null, null, null, -1, null, null),
                UnixDomainSocketAddress.of("/run/php-fpm.sock"));
        AccessLogFormat f = AccessLogFormat.parse("[%R|%u|%m|%r|%f|%l|%q|%Q|%{NOPE}e|%{X-None}o]");
        assertEquals("[-|-|-||-|0|||-|-]", f.format(e, ZoneOffset.UTC));
        AccessLogEntry noPeer = new AccessLogEntry("www", 0, null, null, null, 200, null, ACCEPT, 0, 0, 0, 0, null);
        assertEquals("- - 200 0.00", AccessLogFormat.parse("%R %p %s %C").format(noPeer));
    }

    @Test
    @DisplayName("%C, %{total}C, %{user}C, %{system}C: CPU percent of the wall duration")
    void cpu() {
        assertEquals("32.40", format("%C"));
        assertEquals("32.40", format("%{total}C"));
        assertEquals("32.40", format("%{TOTAL}C"));
        assertEquals("24.30", format("%{user}C"));
        assertEquals("8.10", format("%{system}C"));
    }

    @Test
    @DisplayName("%d: seconds, milli(seconds), mili(seconds), micro(seconds)")
    void duration() {
        assertEquals("0.012", format("%d"));
        assertEquals("0.012", format("%{seconds}d"));
        assertEquals("12.346", format("%{milli}d"));
        assertEquals("12.346", format("%{milliseconds}d"));
        assertEquals("12.346", format("%{mili}d"));
        assertEquals("12.346", format("%{miliseconds}d"));
        assertEquals("12345", format("%{micro}d"));
        assertEquals("12345", format("%{microseconds}d"));
    }

    @Test
    @DisplayName("%M: bytes allocated, in bytes, kilo(bytes), mega(bytes)")
    void memory() {
        assertEquals("5000000", format("%M"));
        assertEquals("5000000", format("%{bytes}M"));
        assertEquals("4882", format("%{kilo}M"));
        assertEquals("4882", format("%{kilobytes}M"));
        assertEquals("4", format("%{mega}M"));
        assertEquals("4", format("%{megabytes}M"));
    }

    @Test
    @DisplayName("%{NAME}e and %{Header}o")
    void paramsAndHeaders() {
        assertEquals("bar", format("%{FOO}e"));
        assertEquals("-", format("%{foo}e"), "CGI names are case-sensitive");
        assertEquals("-", format("%{EMPTY}e"));
        assertEquals("text/html", format("%{Content-Type}o"));
        assertEquals("text/html", format("%{content-type}o"));
        assertEquals("-", format("%{Location}o"));
    }

    @Test
    @DisplayName("%t is the accept time, %T the log time; strftime patterns")
    void times() {
        assertEquals("22/Nov/2026:10:01:02 +0000", format("%t"));
        assertEquals("22/Nov/2026:10:01:03 +0000", format("%T"));
        assertEquals("01/Sep/2026:00:00:00 +0000", AccessLogFormat.parse("%t").format(new AccessLogEntry("www", 1,
                REQUEST, null, null, 200, null, Instant.parse("2026-09-01T00:00:00Z"), 0, 0, 0, 0, null)));
        assertEquals("2026-11-22 10:01:02", format("%{%Y-%m-%d %H:%M:%S}t"));
        assertEquals("2026-11-22T10:01:03", format("%{%FT%T}T"));
        assertEquals("11/22/26 10:01", format("%{%D %R}t"));
        assertEquals("Sun Sunday Nov November 326 26 10 AM", format("%{%a %A %b %B %j %y %I %p}t"));
        assertEquals(Long.toString(ACCEPT.getEpochSecond()), format("%{%s}t"));
        assertEquals("100% %Q", format("%{100%% %Q}t"), "unknown conversions are copied");
        AccessLogFormat zone = AccessLogFormat.parse("%{%Z %z}t");
        assertEquals("UTC +0000", zone.format(entry(), ZoneId.of("UTC")));
        AccessLogEntry fifth = new AccessLogEntry("www", 1, REQUEST, null, null, 200, null,
                Instant.parse("2026-01-05T23:04:05Z"), 0, 0, 0, 0, null);
        assertEquals("[ 5|05|005|Jan|January|Monday|11 PM]",
                AccessLogFormat.parse("%{[%e|%d|%j|%b|%B|%A|%I %p]}t").format(fifth));
    }

    @Test
    @DisplayName("lines longer than 1024 bytes are not truncated (FPM truncates them, bug #12302)")
    void noTruncation() {
        String long2k = "x".repeat(2000);
        RequestInfo request = new RequestInfo("GET", "/" + long2k, "", 0, null, null);
        String line = AccessLogFormat.parse("%r %s").format(entry(request, null));
        assertEquals("/" + long2k + " 201", line);
    }

    @Test
    @DisplayName("validation: FPM's messages")
    void validation() {
        fails("Invalid token in the access.format (%X)", "%X");
        fails("Invalid token in the access.format (%a)", "ok %a");
        fails("Invalid token in the access.format (% )", "100% sure");
        fails("missing closing embrace in the access.format", "%{abc");
        fails("missing closing embrace in the access.format", "%{abc}");
        fails("embrace is not allowed for modifier %f", "%{x}f");
        fails("embrace is not allowed for modifier %%", "%{x}%");
        fails("embrace is not allowed for modifier %s", "%{x}s");
        fails("only 'seconds', 'mili', 'miliseconds', 'micro' or 'microseconds' are allowed as a modifier for %d "
                + "('nano')", "%{nano}d");
        fails("only 'bytes', 'kilo', 'kilobytes', 'mega' or 'megabytes' are allowed as a modifier for %M ('giga')",
                "%{giga}M");
        fails("only 'total', 'user' or 'system' are allowed as a modifier for %C ('idle')", "%{idle}C");
        fails("the name of the environment variable must be set between embraces for %e", "%e");
        fails("the name of the environment variable must be set between embraces for %e", "%{}e");
        fails("the name of the header must be set between embraces for %o", "%o");
        assertEquals("%{x}f", assertDoesNotThrow(() -> AccessLogFormat.parse("%%{x}f")).format(entry()));
    }
}
