package dev.fcgi.benchmarks.load;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LoadOptionsTest {

    @TempDir
    Path dir;

    @Test
    void defaults() throws IOException {
        LoadOptions o = LoadOptions.parse("127.0.0.1:9000");

        assertEquals(new InetSocketAddress("127.0.0.1", 9000), o.address());
        assertEquals("127.0.0.1:9000", o.target());
        assertEquals(16, o.connections());
        assertEquals(Runtime.getRuntime().availableProcessors(), o.threads());
        assertEquals(Duration.ofSeconds(10), o.duration());
        assertEquals(0, o.requests());
        assertEquals(Duration.ZERO, o.warmup());
        assertEquals(0, o.rate());
        assertTrue(o.keepConn());
        assertEquals(1, o.multiplex());
        assertEquals(Duration.ofSeconds(10), o.timeout());
        assertFalse(o.json());
        RequestMix.Kind kind = o.mix().kinds().get(0);
        assertEquals("GET /", kind.label());
        assertEquals("/var/www/html/index.php", o.template().params("GET", "/", 0).get("SCRIPT_FILENAME"));
    }

    @Test
    void everyOption() throws IOException {
        LoadOptions o = LoadOptions.parse("-c", "64", "-t1", "--duration=2m", "-n", "1000", "--warmup", "500ms",
                "-R", "2500.5", "--keep-conn", "on", "--multiplex", "8", "--timeout", "1.5s", "--uri", "/a.php?x=1",
                "--method", "PUT", "--document-root", "/srv", "--script-filename", "/srv/front.php", "-H",
                "X-Test: yes", "-p", "HTTPS=on", "--body-size", "1k", "--json", "[::1]:9001");

        assertEquals(new InetSocketAddress("::1", 9001), o.address());
        assertEquals("[0:0:0:0:0:0:0:1]:9001", o.target());
        assertEquals(64, o.connections());
        assertEquals(1, o.threads());
        assertEquals(Duration.ofMinutes(2), o.duration());
        assertEquals(1000, o.requests());
        assertEquals(Duration.ofMillis(500), o.warmup());
        assertEquals(2500.5, o.rate());
        assertEquals(8, o.multiplex());
        assertEquals(Duration.ofMillis(1500), o.timeout());
        assertTrue(o.json());
        RequestMix.Kind kind = o.mix().kinds().get(0);
        assertEquals("PUT", kind.method());
        assertEquals("/a.php?x=1", kind.uri());
        assertEquals(1024, kind.body().length);
        Map<String, String> p = o.template().params("PUT", "/a.php?x=1", 1024);
        assertEquals("/srv/front.php", p.get("SCRIPT_FILENAME"));
        assertEquals("yes", p.get("HTTP_X_TEST"));
        assertEquals("on", p.get("HTTPS"));
    }

    @Test
    void addresses() throws IOException {
        assertEquals(UnixDomainSocketAddress.of("/run/php/fpm.sock"),
                LoadOptions.parse("unix:/run/php/fpm.sock").address());
        assertEquals("unix:/run/php/fpm.sock", LoadOptions.parse("/run/php/fpm.sock").target());
        assertEquals(new InetSocketAddress("127.0.0.1", 9000), LoadOptions.parse("9000").address());
        assertEquals(new InetSocketAddress("localhost", 9000), LoadOptions.parse("localhost:9000").address());
    }

    @Test
    void aBodyMakesAPost() throws IOException {
        Path body = Files.write(dir.resolve("body.json"), "{\"a\":1}".getBytes());
        RequestMix.Kind kind = LoadOptions.parse("--body-file", body.toString(), "127.0.0.1:9000").mix().kinds().get(0);
        assertEquals("POST", kind.method());
        assertArrayEquals("{\"a\":1}".getBytes(), kind.body());
    }

    @Test
    void requestsAloneRunUpToTheCap() throws IOException {
        LoadOptions o = LoadOptions.parse("-n", "100", "--warmup", "10s", "127.0.0.1:9000");
        assertEquals(LoadOptions.MAX_RUN_TIME.minusSeconds(10), o.duration());
        assertEquals(Duration.ofSeconds(7), LoadOptions.parse("-n", "100", "-d", "7", "127.0.0.1:9000").duration());
    }

    @Test
    void aMixFile() throws IOException {
        Path mix = Files.writeString(dir.resolve("mix.txt"), "3 GET /a\n1 POST /b 10\n");
        LoadOptions o = LoadOptions.parse("--mix", mix.toString(), "127.0.0.1:9000");
        assertEquals(2, o.mix().kinds().size());
        assertEquals("POST /b (10 B)", o.mix().kinds().get(1).label());
    }

    @Test
    void helpIsFoundAnywhere() {
        assertTrue(LoadOptions.wantsHelp("-c", "3", "-h"));
        assertTrue(LoadOptions.wantsHelp("--help"));
        assertFalse(LoadOptions.wantsHelp("127.0.0.1:9000"));
    }

    @Test
    void mistakesSayWhatWasExpected() throws IOException {
        Path mix = Files.writeString(dir.resolve("mix.txt"), "1 GET /\n");
        assertMessage("missing ADDRESS (host:port, [::1]:port or unix:/path/to.sock)", "-c", "2");
        assertMessage("unexpected argument 'b:2' (ADDRESS is already 'a:1')", "a:1", "b:2");
        assertMessage("ADDRESS: 'nowhere' (expected: host:port, [::1]:port or unix:/path/to.sock)", "nowhere");
        assertMessage("ADDRESS: '127.0.0.1:http' (expected: host:port, [::1]:port or unix:/path/to.sock)",
                "127.0.0.1:http");
        assertMessage("unknown option '--conections' (-h lists them)", "--conections", "4", "127.0.0.1:9000");
        assertMessage("-c/--connections: 'many' (expected: an integer from 1 to 10000)", "-c", "many", "127.0.0.1:1");
        assertMessage("-c/--connections: '0' (expected: an integer from 1 to 10000)", "-c0", "127.0.0.1:1");
        assertMessage("-n/--requests: '-5' (expected: an integer from 1 up)", "-n", "-5", "127.0.0.1:1");
        assertMessage("--timeout needs a value", "127.0.0.1:1", "--timeout");
        assertMessage("-d/--duration: '10x' (expected: a time such as 500ms, 10s, 2m)", "-d", "10x", "127.0.0.1:1");
        assertMessage("-d/--duration: '0s' (expected: at least 1ms)", "-d", "0s", "127.0.0.1:1");
        assertMessage("-d/--duration: 2h (expected: at most 1h with the warm-up; a run is capped at 1h)", "-d", "2h",
                "127.0.0.1:1");
        assertMessage("--warmup: 1h (expected: less than 1h)", "--warmup", "60m", "127.0.0.1:1");
        assertMessage("-R/--rate: '0' (expected: requests per second, more than 0 and at most 10000000)", "-R", "0",
                "127.0.0.1:1");
        assertMessage("--keep-conn: 'maybe' (expected: on or off)", "--keep-conn", "maybe", "127.0.0.1:1");
        assertMessage("--multiplex 4 needs --keep-conn on (a connection closed after each request carries one"
                + " request)", "--multiplex", "4", "--keep-conn", "off", "127.0.0.1:1");
        assertMessage("-H/--header: 'NoColon' (expected: 'Name: value')", "-H", "NoColon", "127.0.0.1:1");
        assertMessage("-p/--param: '=x' (expected: NAME=VALUE)", "-p", "=x", "127.0.0.1:1");
        assertMessage("--body-size: size 'big' is not a number of bytes from 0 to 256m (suffixes: k, m)",
                "--body-size", "big", "127.0.0.1:1");
        assertMessage("--body-size and --body-file: give one of them", "--body-size", "1", "--body-file",
                mix.toString(), "127.0.0.1:1");
        assertMessage("--body-file: cannot read '/no/such/file' (no such readable file)", "--body-file",
                "/no/such/file", "127.0.0.1:1");
        assertMessage("--mix gives each request's method, uri and body size: drop --uri", "--mix", mix.toString(),
                "--uri", "/x", "127.0.0.1:1");
        assertMessage("--uri: uri 'hello.php' is not a path starting with / (and maybe ?query) without spaces",
                "--uri", "hello.php", "127.0.0.1:1");
        assertMessage("--method: method 'get' is not an HTTP method (GET, POST, ...)", "--method", "get",
                "127.0.0.1:1");
        assertMessage("--json takes no value", "--json=yes", "127.0.0.1:1");
    }

    private static void assertMessage(String expected, String... args) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LoadOptions.parse(args));
        assertEquals(expected, e.getMessage());
    }
}
