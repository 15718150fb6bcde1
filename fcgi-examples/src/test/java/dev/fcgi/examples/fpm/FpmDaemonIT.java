package dev.fcgi.examples.fpm;

import dev.fcgi.protocol.testing.Await;
import dev.fcgi.protocol.testing.ExternalTools;
import dev.fcgi.protocol.testing.ManagedProcess;
import dev.fcgi.protocol.testing.MiniJson;
import dev.fcgi.protocol.testing.NginxProcess;
import dev.fcgi.protocol.testing.Sha256;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code fpm} daemon ({@link FpmDaemon}) as an operator runs it: the shaded jar, a php-fpm.conf, nginx in
 * front, signals sent with {@code fpm -s ACTION -g PIDFILE}.
 * <ol>
 *   <li>Debian's own php-fpm.conf and pool.d/www.conf (copied, with paths, user and listen moved into a temporary
 *       directory and {@code command = php-cgi} added) pass {@code fpm -t}.</li>
 *   <li>Each kind of configuration error fails {@code -t} with exit code 1, FPM's message as the last ERROR but
 *       one and {@code FPM initialization failed} last; where php-fpm 8.2 knows the error, {@code php-fpm8.2 -t}
 *       on the same file (minus our {@code handler} line, which php-fpm would refuse) says the same.</li>
 *   <li>One pool file, run by php-fpm 8.2 and by our daemon (which adds {@code command = php-cgi} in its own main
 *       file), behind one nginx each: the same PHP script gives the same status, body and header.</li>
 *   <li>A Java handler pool ({@code DemoApp}) from a file, through nginx: hello, POST, FPM's JSON status page,
 *       ping.</li>
 *   <li>The lifecycle: FPM's log lines, reopen after a rename, reload (the status page shows the new
 *       {@code pm.max_children}), a refused reload (the old pool still serves), a graceful stop that lets a held
 *       request finish (exit 0, pid file gone, no child left), and SIGTERM (stop now, no child left).</li>
 * </ol>
 * {@code -t} runs in this JVM ({@link FpmDaemon#run} with {@link FpmLog} pointed at a file); everything that serves
 * runs in a JVM of its own, stopped by its PID. Needs the jar ({@code mvn verify}), nginx, php-cgi 8.2 and php-fpm
 * 8.2: skipped without them, failed on CI.
 */
class FpmDaemonIT {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final boolean ROOT = "root".equals(System.getProperty("user.name"));
    private static final String DEMO_APP = "dev.fcgi.examples.demo.DemoApp";
    /** FPM's log line prefix: {@code [22-Nov-2026 17:33:36] }. */
    private static final Pattern TIMESTAMP = Pattern.compile("^\\[\\d{2}-[A-Z][a-z]{2}-\\d{4} \\d{2}:\\d{2}:\\d{2}] ");

    /** Echoes what the comparison checks; sets a header, and 201 for a POST. */
    private static final String COMPARE_PHP = """
            <?php
            $body = file_get_contents('php://input');
            header('X-Compare: ' . $_SERVER['REQUEST_METHOD'] . ' ' . ($_COOKIE['flavour'] ?? '-'));
            header('X-Sapi: ' . php_sapi_name());
            if ($_SERVER['REQUEST_METHOD'] === 'POST') {
                http_response_code(201);
            }
            ksort($_GET);
            echo json_encode([
                'get' => $_GET,
                'method' => $_SERVER['REQUEST_METHOD'],
                'script' => $_SERVER['SCRIPT_NAME'],
                'length' => strlen($body),
                'sha256' => hash('sha256', $body),
                'cookie' => $_COOKIE['flavour'] ?? null,
                'env' => getenv('FPM_POOL_FILE'),
                'memory_limit' => ini_get('memory_limit'),
            ]), "\\n";
            """;
    /** Greets, with the child's pid. */
    private static final String HELLO_PHP = """
            <?php
            echo 'hello ', $_GET['name'] ?? 'world', ' from ', getmypid(), "\\n";
            """;
    /** Holds its child until the file {@code f} exists. */
    private static final String HOLD_PHP = """
            <?php
            while (!file_exists($_GET['f'])) { clearstatcache(); usleep(5000); }
            echo 'released ', getmypid(), "\\n";
            """;

    @TempDir
    Path dir;

    // ---- 1. Debian's configuration

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    @DisplayName("Debian's php-fpm.conf and pool.d/www.conf, moved to a temporary directory, pass fpm -t")
    void debiansOwnConfigurationPassesTheTest() throws Exception {
        Path debianConf = Path.of("/etc/php/8.2/fpm/php-fpm.conf");
        Path debianPool = Path.of("/etc/php/8.2/fpm/pool.d/www.conf");
        if (!Files.isRegularFile(debianConf) || !Files.isRegularFile(debianPool)) {
            skipOrFail("SKIPPED: " + debianConf + " or " + debianPool + " is missing (apt-get install php8.2-fpm)");
        }
        String phpCgi = ExternalTools.require("php-cgi8.2", "php-cgi");
        Path jar = jar();
        Path copy = Files.createDirectories(dir.resolve("debian"));
        Path poolDir = Files.createDirectories(copy.resolve("pool.d"));

        String main = Files.readString(debianConf, UTF_8);
        main = replaceDirective(main, "include", "include=" + poolDir + "/*.conf");
        main = replaceDirective(main, "pid", "pid = " + copy.resolve("php-fpm.pid"));
        main = replaceDirective(main, "error_log", "error_log = " + copy.resolve("php-fpm.log"));
        Path conf = Files.writeString(copy.resolve("php-fpm.conf"), main, UTF_8);

        String debianPoolText = Files.readString(debianPool, UTF_8);
        String pool = replaceDirective(debianPoolText, "listen", "listen = " + copy.resolve("www.sock"));
        pool = replaceDirective(pool, "user", "user = nobody");
        pool = replaceDirective(pool, "group", "group = nogroup");
        assertTrue(pool.contains("\n[www]\n") || pool.startsWith("[www]\n"), "Debian's www.conf has a [www] line");
        pool = pool.replaceFirst("(?m)^\\[www]$", "[www]\ncommand = " + Matcher.quoteReplacement(phpCgi));
        Files.writeString(poolDir.resolve("www.conf"), pool, UTF_8);

        // the real command line, in a JVM of its own: exit code 0 and FPM's line
        try (ManagedProcess test = fpm("debian-t", List.of("-y", conf.toString(), "-t"))) {
            assertEquals(0, test.waitFor(WAIT), test::describe);
            List<String> lines = logLines(test.stdout() + test.stderr());
            assertTrue(lines.contains("NOTICE: configuration file " + conf + " test is successful"), test::describe);
            assertEquals(List.of(), lines.stream().filter(l -> l.matches("(ERROR|ALERT|WARNING): .*")).toList(),
                    test::describe);
        }

        // -tt prints what was read: Debian's pool settings, our moved paths
        Run tt = testInProcess(conf, "-tt");
        assertEquals(0, tt.code(), tt::describe);
        Matcher maxChildren = Pattern.compile("(?m)^pm\\.max_children\\s*=\\s*(\\d+)\\s*$").matcher(debianPoolText);
        assertTrue(maxChildren.find(), "Debian's www.conf sets pm.max_children");
        for (String line : List.of("[www]", "\tlisten = " + copy.resolve("www.sock"), "\tuser = nobody",
                "\tgroup = nogroup", "\tpm.max_children = " + maxChildren.group(1),
                "\tcommand = " + phpCgi)) {
            assertTrue(tt.stdout().lines().anyMatch(line::equals), () -> "-tt prints '" + line + "'\n" + tt.describe());
        }
    }

    /** Replaces the one active {@code key = ...} line of an FPM file (comments aside). */
    private static String replaceDirective(String text, String key, String replacement) {
        Pattern line = Pattern.compile("(?m)^\\s*" + Pattern.quote(key) + "\\s*=.*$");
        Matcher matcher = line.matcher(text);
        assertTrue(matcher.find(), () -> "an active '" + key + "' line in\n" + text);
        int start = matcher.start();
        assertFalse(matcher.find(), () -> "one active '" + key + "' line in\n" + text);
        matcher.reset();
        matcher.find(start);
        return text.substring(0, matcher.start()) + replacement + text.substring(matcher.end());
    }

    // ---- 2. configuration errors

    /**
     * One configuration error: the pool section (after a [global] with only error_log), with {@code {SOCK}} for a
     * listen socket, {@code {HANDLER}} for our handler line (a comment in php-fpm's copy, so the lines stay where
     * they are), {@code {DIR}} for the directory; {@code expected} is our message ({@code {FILE}} the file's path);
     * {@code fpm} what php-fpm 8.2's output on its copy contains, {@code "="} for our very message (as an ERROR or
     * an ALERT line), or null when php-fpm has no such error. php-fpm exits 78 (EX_CONFIG) where we exit 1, and adds
     * {@code failed to load configuration file} or {@code failed to post process the configuration} before its last
     * line: neither is compared.
     */
    private record BadConfig(String name, String text, String expected, String fpm) {
    }

    private static final String GLOBAL = "[global]\nerror_log = {LOG}\n";

    private static List<BadConfig> badConfigs() {
        String sameAsOurs = "=";
        return List.of(
                new BadConfig("unknown-entry", GLOBAL + """
                        [www]
                        listen = {SOCK}
                        pm = static
                        pm.max_children = 2
                        pm.foo = 1
                        {HANDLER}
                        """, "[{FILE}:7] unknown entry 'pm.foo'", sameAsOurs),
                new BadConfig("bad-value", GLOBAL + """
                        [www]
                        listen = {SOCK}
                        pm = static
                        pm.max_children = lots
                        {HANDLER}
                        """, "[{FILE}:6] unable to parse value for entry 'pm.max_children': is not a valid number"
                        + " (greater or equal than zero)", sameAsOurs),
                new BadConfig("spare-servers", GLOBAL + """
                        [www]
                        listen = {SOCK}
                        pm = dynamic
                        pm.max_children = 5
                        pm.min_spare_servers = 3
                        pm.max_spare_servers = 2
                        {HANDLER}
                        """, "[pool www] pm.max_spare_servers(2) must not be less than pm.min_spare_servers(3)",
                        sameAsOurs),
                // php-fpm gives PHP's scanner message, without a useful line ("syntax error, unexpected end of
                // file, expecting TC_DOLLAR_CURLY or TC_QUOTED_STRING or '\"' in Unknown on line 2")
                new BadConfig("syntax-error", GLOBAL + """
                        [www]
                        listen = {SOCK}
                        pm = static
                        pm.max_children = "2
                        {HANDLER}
                        """, "[{FILE}:6] syntax error, unexpected end of line, expecting '\"'", "syntax error"),
                new BadConfig("no-listen", GLOBAL + """
                        [www]
                        pm = static
                        pm.max_children = 2
                        {HANDLER}
                        """, "[pool www] no listen address have been defined!", sameAsOurs),
                // php-fpm would run this pool (its workers are php itself): ours needs to be told what to run
                new BadConfig("no-handler-or-command", GLOBAL + """
                        [www]
                        listen = {SOCK}
                        pm = static
                        pm.max_children = 2
                        """, "[pool www] no 'handler' or 'command': set handler = <class implementing"
                        + " dev.fcgi.protocol.server.FcgiHandler> for a pool of Java workers, or command ="
                        + " /usr/bin/php-cgi for a pool of PHP child processes", null),
                new BadConfig("handler-class-missing", GLOBAL + """
                        [www]
                        listen = {SOCK}
                        pm = static
                        pm.max_children = 2
                        handler = dev.fcgi.examples.demo.NoSuchApp
                        """, "[pool www] handler class 'dev.fcgi.examples.demo.NoSuchApp' not found", null),
                // Debian's include=.../pool.d/*.conf with the directory missing; php-fpm words it "Unable to
                // globalize '{DIR}/missing.d/*.conf' (ret=2) from {FILE} at line 3."
                new BadConfig("include-dir-missing", GLOBAL + """
                        include = {DIR}/missing.d/*.conf
                        """, "[{FILE}:3] Unable to globalize '{DIR}/missing.d/*.conf': cannot read the directory"
                        + " {DIR}/missing.d: No such file or directory",
                        "Unable to globalize '{DIR}/missing.d/*.conf'"),
                // an include that matches nothing is only a warning, in FPM too; the pool it was to bring is missing
                new BadConfig("include-file-missing", GLOBAL + """
                        include = {DIR}/missing.conf
                        """, "No pool defined. at least one pool section must be specified in config file",
                        sameAsOurs));
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    @DisplayName("fpm -t: each kind of error exits 1 with FPM's message (and php-fpm 8.2 -t says the same)")
    void eachKindOfErrorFailsTheTest() throws Exception {
        Optional<String> phpFpm = ExternalTools.isRequired() ? Optional.of(ExternalTools.require("php-fpm8.2"))
                : ExternalTools.find("php-fpm8.2");
        if (phpFpm.isEmpty()) {
            System.err.println("SKIPPED (in part): php-fpm8.2 is not installed: our messages are checked, php-fpm's"
                    + " are not");
        }
        Path ours = Files.createDirectories(dir.resolve("ours"));
        Path theirs = Files.createDirectories(dir.resolve("php-fpm"));

        // a good one first: the capture works, and -t says so
        Path good = write(ours.resolve("good.conf"), instantiate(GLOBAL + """
                [www]
                listen = {SOCK}
                pm = static
                pm.max_children = 2
                {HANDLER}
                """, ours, "good", true));
        Run ok = testInProcess(good, "-t");
        assertEquals(0, ok.code(), ok::describe);
        assertEquals(List.of("NOTICE: configuration file " + good + " test is successful"), ok.lines(), ok::describe);

        List<Executable> checks = new ArrayList<>();
        for (BadConfig bad : badConfigs()) {
            Path file = write(ours.resolve(bad.name() + ".conf"), instantiate(bad.text(), ours, bad.name(), true));
            Run run = testInProcess(file, "-t");
            String expected = bad.expected().replace("{FILE}", file.toString()).replace("{DIR}", ours.toString());
            checks.add(() -> {
                assertEquals(1, run.code(), () -> bad.name() + ": exit code\n" + run.describe());
                List<String> lines = run.lines();
                assertTrue(lines.size() >= 2, () -> bad.name() + "\n" + run.describe());
                assertEquals(List.of("ERROR: " + expected, "ERROR: FPM initialization failed"),
                        lines.subList(lines.size() - 2, lines.size()), () -> bad.name() + "\n" + run.describe());
            });
            if (bad.name().equals("include-file-missing")) {
                // only the words are compared: php-fpm logs this as a WARNING, our daemon as a NOTICE (it logs every
                // notice of the configuration at one level)
                String nothing = "Nothing matches the include pattern '" + ours + "/missing.conf' from " + file
                        + " at line 3.";
                checks.add(() -> assertTrue(run.lines().stream().anyMatch(l -> l.endsWith(": " + nothing)),
                        () -> bad.name() + ": '" + nothing + "'\n" + run.describe()));
            }
            if (bad.fpm() != null && phpFpm.isPresent()) {
                Path fpmFile = write(theirs.resolve(bad.name() + ".conf"),
                        instantiate(bad.text(), theirs, bad.name(), false));
                String fpmExpected = (bad.fpm().equals("=") ? bad.expected() : bad.fpm())
                        .replace("{FILE}", fpmFile.toString()).replace("{DIR}", theirs.toString());
                Run fpm = phpFpmTest(phpFpm.get(), fpmFile, theirs.resolve(bad.name() + ".log"));
                checks.add(() -> {
                    assertNotEquals(0, fpm.code(), () -> "php-fpm -t " + bad.name() + "\n" + fpm.describe());
                    if (bad.fpm().equals("=")) {
                        // the same words, as an ERROR (parse errors) or an ALERT (pool checks)
                        assertTrue(fpm.lines().contains("ERROR: " + fpmExpected)
                                        || fpm.lines().contains("ALERT: " + fpmExpected),
                                () -> "php-fpm -t " + bad.name() + ": '" + fpmExpected + "'\n" + fpm.describe());
                    } else {
                        assertTrue(fpm.output().contains(fpmExpected),
                                () -> "php-fpm -t " + bad.name() + ": '" + fpmExpected + "'\n" + fpm.describe());
                    }
                });
            }
        }
        assertAll(checks);

        // and the real command line exits 1 with the message on stderr
        Path unknown = ours.resolve("unknown-entry.conf");
        try (ManagedProcess test = fpm("unknown-entry-t", List.of("-y", unknown.toString(), "-t"))) {
            assertEquals(1, test.waitFor(WAIT), test::describe);
            assertEquals(List.of("ERROR: [" + unknown + ":7] unknown entry 'pm.foo'",
                            "ERROR: FPM initialization failed"),
                    logLines(test.stderr()), test::describe);
            assertEquals("", test.stdout(), test::describe);
        }
    }

    /** The case's text with its placeholders filled for our daemon ({@code ours}) or php-fpm's copy. */
    private static String instantiate(String text, Path directory, String name, boolean ours) {
        return text.replace("{LOG}", directory.resolve(name + ".log").toString())
                .replace("{SOCK}", directory.resolve(name + ".sock").toString())
                .replace("{DIR}", directory.toString())
                .replace("{HANDLER}", ours ? "handler = " + DEMO_APP : "; handler: ours only, php-fpm would refuse it");
    }

    /** {@code php-fpm8.2 -n -t -y file}: its stderr and its error_log. */
    private Run phpFpmTest(String phpFpm, Path file, Path log) throws Exception {
        List<String> command = new ArrayList<>(List.of(phpFpm, "-n", "-t", "-y", file.toString()));
        if (isRoot()) {
            command.add("-R");
        }
        try (ManagedProcess process = ManagedProcess.start("php-fpm-t-" + file.getFileName(), command,
                file.getParent())) {
            int code = process.waitFor(WAIT);
            return new Run(code, process.stdout(), process.stderr() + read(log));
        }
    }

    // ---- 3. the same pool file under php-fpm and under our daemon

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    @DisplayName("one pool file: php-fpm 8.2 and our daemon (php-cgi children) answer the same through nginx")
    void samePoolFileUnderPhpFpmAndOurs() throws Exception {
        String phpFpm = ExternalTools.require("php-fpm8.2");
        String phpCgi = ExternalTools.require("php-cgi8.2", "php-cgi");
        Path www = documentRoot();
        Path fpmPrefix = Files.createDirectories(dir.resolve("php-fpm"));
        Path ourPrefix = Files.createDirectories(dir.resolve("fcgi-fpm"));

        // the pool file both run as it is: its listen socket is relative, so under each daemon's prefix (-p)
        Path pool = write(dir.resolve("www.pool.conf"), """
                ; the pool php-fpm 8.2 and our daemon both run
                [www]
                listen = www.sock
                user = nobody
                group = nogroup
                pm = static
                pm.max_children = 2
                pm.max_requests = 100
                env[FPM_POOL_FILE] = shared
                php_value[memory_limit] = 96M
                """);
        // each daemon's main file: [global], the pool file, and (ours) what to run; php-fpm reopens sections by
        // name as we do. php-fpm reads /etc/php/8.2/fpm/php.ini, php-cgi /etc/php/8.2/cgi/php.ini: Debian installs
        // the same php.ini-production for both, so no -n on either side
        Path fpmConf = write(fpmPrefix.resolve("php-fpm.conf"), "[global]\npid = " + fpmPrefix.resolve("php-fpm.pid")
                + "\nerror_log = " + fpmPrefix.resolve("php-fpm.log") + "\ndaemonize = no\ninclude = " + pool + "\n");
        Path ourConf = write(ourPrefix.resolve("fcgi-fpm.conf"), "[global]\nerror_log = "
                + ourPrefix.resolve("fcgi-fpm.log") + "\ninclude = " + pool + "\n[www]\ncommand = " + phpCgi + "\n");

        List<String> fpmCommand = new ArrayList<>(List.of(phpFpm, "-F", "-p", fpmPrefix.toString(), "-y",
                fpmConf.toString()));
        if (isRoot()) {
            fpmCommand.add("-R");
        }
        HttpClient http = httpClient();
        try (ManagedProcess fpm = ManagedProcess.start("php-fpm", fpmCommand, fpmPrefix);
             ManagedProcess ours = startDaemon("fcgi-fpm", ourConf, null, ourPrefix.resolve("fcgi-fpm.log"),
                     List.of("-p", ourPrefix.toString()))) {
            Path fpmSocket = fpmPrefix.resolve("www.sock");
            Await.until(WAIT, () -> !fpm.isAlive() || accepts(fpmSocket),
                    () -> "php-fpm accepting on " + fpmSocket + "\n" + fpm.describe() + "\n"
                            + read(fpmPrefix.resolve("php-fpm.log")));
            assertTrue(fpm.isAlive(), fpm::describe);
            assertTrue(Files.exists(ourPrefix.resolve("www.sock")), "our relative listen is under our -p");

            try (NginxProcess toFpm = NginxProcess.builder(dir.resolve("nginx-php-fpm"))
                    .upstream("unix:" + fpmSocket).locationDirective("root " + www + ";").start();
                 NginxProcess toOurs = NginxProcess.builder(dir.resolve("nginx-fcgi-fpm"))
                         .upstream("unix:" + ourPrefix.resolve("www.sock")).locationDirective("root " + www + ";")
                         .start()) {
                byte[] upload = new byte[200_000];
                new Random(3).nextBytes(upload);
                List<Exchange> exchanges = List.of(
                        new Exchange(HttpRequest.newBuilder()
                                .uri(toFpm.uri("/compare.php?name=Ada&list%5B%5D=x&list%5B%5D=y"))
                                .header("Cookie", "flavour=chocolate"), 200,
                                "{\"get\":{\"list\":[\"x\",\"y\"],\"name\":\"Ada\"},\"method\":\"GET\","
                                        + "\"script\":\"\\/compare.php\",\"length\":0,\"sha256\":\""
                                        + Sha256.hex(new byte[0]) + "\",\"cookie\":\"chocolate\",\"env\":\"shared\","
                                        + "\"memory_limit\":\"96M\"}\n", "GET chocolate"),
                        new Exchange(HttpRequest.newBuilder().uri(toFpm.uri("/compare.php?kind=upload"))
                                .header("Cookie", "flavour=oat").header("Content-Type", "application/octet-stream")
                                .POST(HttpRequest.BodyPublishers.ofByteArray(upload)), 201,
                                "{\"get\":{\"kind\":\"upload\"},\"method\":\"POST\",\"script\":\"\\/compare.php\","
                                        + "\"length\":200000,\"sha256\":\"" + Sha256.hex(upload) + "\","
                                        + "\"cookie\":\"oat\",\"env\":\"shared\",\"memory_limit\":\"96M\"}\n",
                                "POST oat"));
                for (Exchange exchange : exchanges) {
                    HttpRequest viaFpm = exchange.request().timeout(WAIT).build();
                    HttpRequest viaOurs = exchange.request().copy().uri(toOurs.uri(viaFpm.uri().getRawPath() + "?"
                            + viaFpm.uri().getRawQuery())).timeout(WAIT).build();
                    HttpResponse<String> a = http.send(viaFpm, HttpResponse.BodyHandlers.ofString());
                    HttpResponse<String> b = http.send(viaOurs, HttpResponse.BodyHandlers.ofString());
                    String both = "php-fpm: " + a.statusCode() + " " + a.headers().map() + "\n" + a.body()
                            + "\nours: " + b.statusCode() + " " + b.headers().map() + "\n" + b.body() + "\n"
                            + toFpm.describe() + "\n" + toOurs.describe() + "\n" + ours.describe();
                    // which backend answered: php-fpm's SAPI, and php-cgi's under our pool
                    assertEquals(Optional.of("fpm-fcgi"), a.headers().firstValue("X-Sapi"), both);
                    assertEquals(Optional.of("cgi-fcgi"), b.headers().firstValue("X-Sapi"), both);
                    // the same answer
                    assertEquals(exchange.status(), a.statusCode(), both);
                    assertEquals(a.statusCode(), b.statusCode(), both);
                    assertEquals(exchange.body(), a.body(), both);
                    assertEquals(a.body(), b.body(), both);
                    assertEquals(List.of(exchange.header()), a.headers().allValues("X-Compare"), both);
                    assertEquals(a.headers().allValues("X-Compare"), b.headers().allValues("X-Compare"), both);
                    assertEquals(a.headers().allValues("Content-Type"), b.headers().allValues("Content-Type"), both);
                }
                assertEquals(List.of(), errors(toFpm), toFpm::describe);
                assertEquals(List.of(), errors(toOurs), toOurs::describe);
            }
        } finally {
            http.shutdownNow();
        }
    }

    private record Exchange(HttpRequest.Builder request, int status, String body, String header) {
    }

    // ---- 4. a Java handler pool from a file

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    @DisplayName("a handler pool (DemoApp) from php-fpm.conf through nginx: hello, POST, JSON status, ping")
    void handlerPoolFromAFile() throws Exception {
        Path socket = dir.resolve("java.sock");
        Path log = dir.resolve("fpm.log");
        Path conf = write(dir.resolve("fpm.conf"), """
                [global]
                error_log = %s

                [java]
                listen = %s
                handler = %s
                pm = dynamic
                pm.max_children = 4
                pm.start_servers = 2
                pm.min_spare_servers = 1
                pm.max_spare_servers = 3
                pm.status_path = /status
                ping.path = /ping
                """.formatted(log, socket, DEMO_APP));
        if (ROOT) {
            // FPM runs no worker as root without -R: a handler pool runs inside the daemon's JVM
            try (ManagedProcess refused = fpm("fpm-java-root", List.of("-y", conf.toString()))) {
                assertEquals(1, refused.waitFor(WAIT), refused::describe);
                assertTrue(read(log).contains("ERROR: [pool java] a Java handler pool runs in the daemon's own process,"
                        + " which runs as root: run the daemon as another user, or pass -R/--allow-to-run-as-root"),
                        () -> read(log));
            }
        }
        HttpClient http = httpClient();
        try (ManagedProcess daemon = startDaemon("fpm-java", conf, null, log, List.of("-R"));
             NginxProcess nginx = NginxProcess.builder(dir.resolve("nginx")).upstream("unix:" + socket).start()) {
            HttpResponse<String> hello = http.send(get(nginx, "/hello?name=Ada"), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, hello.statusCode(), () -> hello.body() + "\n" + nginx.describe());
            assertTrue(hello.body().matches("Hello, Ada! This is .+, request \\d+ of this worker, for "
                    + "/hello\\?name=Ada from 127\\.0\\.0\\.1\\.\n"), hello.body());
            assertEquals(Optional.of("text/plain; charset=utf-8"), hello.headers().firstValue("Content-Type"));

            byte[] body = new byte[1 << 20];
            new Random(4).nextBytes(body);
            HttpResponse<String> posted = http.send(HttpRequest.newBuilder(nginx.uri("/upload")).timeout(WAIT)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, posted.statusCode(), () -> posted.body() + "\n" + nginx.describe());
            assertEquals("received " + body.length + " bytes, sha256 " + Sha256.hex(body) + "\n", posted.body());

            HttpResponse<String> status = http.send(get(nginx, "/status?json"), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, status.statusCode(), () -> status.body() + "\n" + nginx.describe());
            assertEquals(Optional.of("application/json"), status.headers().firstValue("Content-Type"));
            Map<String, Object> json = MiniJson.parseObject(status.body());
            assertEquals("java", json.get("pool"), status.body());
            assertEquals("dynamic", json.get("process manager"), status.body());
            // the hello, the POST and this status request, as FPM counts them
            assertEquals(3L, json.get("accepted conn"), status.body());
            long total = (Long) json.get("total processes");
            assertTrue(total >= 1 && total <= 4, status.body());

            HttpResponse<String> ping = http.send(get(nginx, "/ping"), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, ping.statusCode(), () -> ping.body() + "\n" + nginx.describe());
            assertEquals("pong", ping.body());
            assertEquals(List.of(), errors(nginx), nginx::describe);
            assertTrue(daemon.isAlive(), daemon::describe);
        } finally {
            http.shutdownNow();
        }
    }

    // ---- 5. signals and lifecycle

    /** A pool of php-cgi children with a status page; {@code maxChildren} is written as given. */
    private String phpPoolConfig(Path log, Path socket, String phpCgi, String maxChildren) {
        return """
                [global]
                error_log = %s
                process_control_timeout = 20s

                [php]
                listen = %s
                command = %s
                user = nobody
                group = nogroup
                pm = static
                pm.max_children = %s
                pm.status_path = /status
                """.formatted(log, socket, phpCgi, maxChildren);
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    @DisplayName("lifecycle: log lines, reopen after a rename, reload, refused reload, graceful stop of a held request")
    void signalsAndLifecycle() throws Exception {
        String phpCgi = ExternalTools.require("php-cgi8.2", "php-cgi");
        Path www = documentRoot();
        Path log = dir.resolve("fpm.log");
        Path socket = dir.resolve("php.sock");
        Path pid = dir.resolve("fpm.pid");
        Path conf = write(dir.resolve("fpm.conf"), phpPoolConfig(log, socket, phpCgi, "2"));
        Set<Long> children = new LinkedHashSet<>();
        HttpClient http = httpClient();
        try (ManagedProcess daemon = startDaemon("fpm-php", conf, pid, log, List.of());
             NginxProcess nginx = NginxProcess.builder(dir.resolve("nginx")).upstream("unix:" + socket)
                     .locationDirective("root " + www + ";").start()) {
            // FPM's start lines, the pid file
            assertTrue(logLines(read(log)).contains("NOTICE: fpm is running, pid " + daemon.pid()), read(log));
            assertEquals(daemon.pid() + "\n", read(pid));
            assertHello(http, nginx, "first");
            assertEquals(2L, status(http, nginx).get("total processes"));
            children.addAll(childPids(daemon));
            assertEquals(2, children.size(), () -> "two php-cgi children: " + children);

            // reopen-logs (SIGUSR1) after logrotate moved the file: a new file, which gets the line
            Path rotated = dir.resolve("fpm.log.1");
            Files.move(log, rotated);
            control("reopen-logs", pid);
            Await.until(WAIT, () -> read(log).contains("NOTICE: error log file re-opened"),
                    () -> "the reopened log\n--- fpm.log:\n" + read(log) + "\n--- fpm.log.1:\n" + read(rotated));
            assertTrue(read(rotated).contains("NOTICE: reopening the logs"), read(rotated));
            assertFalse(read(rotated).contains("error log file re-opened"), read(rotated));

            // reload (SIGHUP) with pm.max_children = 3: the new pool shows it
            write(conf, phpPoolConfig(log, socket, phpCgi, "3"));
            control("reload", pid);
            Await.until(WAIT, () -> read(log).contains("NOTICE: reloaded " + conf), () -> read(log));
            assertTrue(read(log).contains("NOTICE: Reloading in progress ..."), read(log));
            Await.until(WAIT, () -> Long.valueOf(3).equals(status(http, nginx).get("total processes")),
                    () -> "3 processes after the reload: " + status(http, nginx));
            assertHello(http, nginx, "reloaded");
            children.addAll(childPids(daemon));

            // a reload with an error is refused, and logged; the running pool stays
            write(conf, phpPoolConfig(log, socket, phpCgi, "lots"));
            int badLine = lineOf(read(conf), "pm.max_children = lots");
            control("reload", pid);
            Await.until(WAIT, () -> read(log).contains("reload refused"), () -> read(log));
            assertTrue(logLines(read(log)).contains("ERROR: reload refused, the running pools stay: [" + conf + ":"
                    + badLine + "] unable to parse value for entry 'pm.max_children': is not a valid number"
                    + " (greater or equal than zero)"), read(log));
            assertEquals(3L, status(http, nginx).get("total processes"));
            assertHello(http, nginx, "after-refused-reload");
            assertTrue(daemon.isAlive(), daemon::describe);

            // graceful-stop (SIGWINCH) while a request is held: it finishes with 200, then the daemon exits 0
            Path release = dir.resolve("release");
            CompletableFuture<HttpResponse<String>> held = http.sendAsync(get(nginx, "/hold.php?f=" + release),
                    HttpResponse.BodyHandlers.ofString());
            Await.until(WAIT, () -> Long.valueOf(1).equals(status(http, nginx).get("active processes")),
                    () -> "the held request runs: " + status(http, nginx));
            children.addAll(childPids(daemon));
            control("graceful-stop", pid);
            Await.until(WAIT, () -> read(log).contains("NOTICE: Finishing ..."), () -> read(log));
            assertFalse(held.isDone(), () -> "the held request still runs: " + held.join().body());
            assertTrue(daemon.isAlive(), () -> "the daemon waits for it\n" + daemon.describe() + "\n" + read(log));
            Files.writeString(release, "go");
            HttpResponse<String> released = held.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertEquals(200, released.statusCode(),
                    () -> released.body() + "\n" + nginx.describe() + "\n" + read(log));
            assertTrue(released.body().startsWith("released "), released.body());

            assertEquals(0, daemon.waitFor(WAIT), () -> daemon.describe() + "\n" + read(log));
            assertFalse(Files.exists(pid), "the pid file is removed");
            // (php-fpm logs Finishing ... then exiting, bye-bye!; ours also logs Terminating ... in between, from
            // the shutdown hook that System.exit runs: not checked either way)
            List<String> lines = logLines(read(log));
            assertTrue(lines.indexOf("NOTICE: Finishing ...") < lines.indexOf("NOTICE: exiting, bye-bye!"),
                    read(log));
            assertNoneAlive(children, "after the graceful stop");
        } finally {
            http.shutdownNow();
        }
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    @DisplayName("graceful stop under load: every request the pool took is answered, the rest refused; exit in time")
    void gracefulStopUnderLoad() throws Exception {
        String phpCgi = ExternalTools.require("php-cgi8.2", "php-cgi");
        Path www = documentRoot();
        Path log = dir.resolve("fpm.log");
        Path access = dir.resolve("access.log");
        Path socket = dir.resolve("php.sock");
        Path pid = dir.resolve("fpm.pid");
        Duration controlTimeout = Duration.ofSeconds(5);
        Path conf = write(dir.resolve("fpm.conf"), """
                [global]
                error_log = %s
                process_control_timeout = %ds

                [php]
                listen = %s
                command = %s
                user = nobody
                group = nogroup
                pm = static
                pm.max_children = 4
                pm.status_path = /status
                access.log = %s
                access.format = "%%q %%s"
                """.formatted(log, controlTimeout.toSeconds(), socket, phpCgi, access));
        HttpClient http = httpClient();
        GracefulStopLoad load = new GracefulStopLoad(http);
        try (ManagedProcess daemon = startDaemon("fpm-graceful", conf, pid, log, List.of());
             NginxProcess nginx = NginxProcess.builder(dir.resolve("nginx")).upstream("unix:" + socket)
                     .locationDirective("root " + www + ";").start()) {
            load.start(nginx);
            Await.until(WAIT, () -> load.answered.size() >= 100, () -> "100 answers first: " + load.unexpected);
            Path release = dir.resolve("release");
            CompletableFuture<HttpResponse<String>> finishes = http.sendAsync(
                    get(nginx, "/hold.php?f=" + release), HttpResponse.BodyHandlers.ofString());
            CompletableFuture<HttpResponse<String>> overruns = http.sendAsync(
                    get(nginx, "/hold.php?f=" + dir.resolve("never")), HttpResponse.BodyHandlers.ofString());
            Await.until(WAIT, () -> heldRequests(http, nginx) == 2, () -> "both held requests run: "
                    + fullStatus(http, nginx) + "\n" + read(log));

            long stopAt = System.nanoTime();
            control("graceful-stop", pid);
            Await.until(WAIT, () -> load.refused.get() >= GracefulStopLoad.THREADS,
                    () -> "nginx's requests are refused once the pool stops listening: " + load.unexpected);
            assertFalse(finishes.isDone(), "the held request still runs");
            Files.writeString(release, "go");
            HttpResponse<String> finished = finishes.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertEquals(200, finished.statusCode(), () -> finished.body() + "\n" + nginx.describe());
            assertTrue(finished.body().startsWith("released "), finished.body());

            assertEquals(0, daemon.waitFor(WAIT), () -> daemon.describe() + "\n" + read(log));
            Duration took = Duration.ofNanos(System.nanoTime() - stopAt);
            // the request past process_control_timeout is stopped at the timeout, as php-fpm stops it: a 503 from the
            // pool when its child is stopped before it answered, or nginx's 502 when the child's connection closes
            assertTrue(took.compareTo(controlTimeout.plusSeconds(10)) < 0, () -> "exited after " + took);
            int overrun = overruns.get(WAIT.toSeconds(), TimeUnit.SECONDS).statusCode();
            assertTrue(overrun == 503 || overrun == 502, () -> "the overrunning request got " + overrun);
            load.stop();

            assertEquals(List.of(), load.unexpected, "no wrong answer, no status but 200 and 502");
            Set<String> served = new LinkedHashSet<>();
            for (String line : Files.readAllLines(access, UTF_8)) {
                if (line.startsWith("name=load-")) {
                    assertTrue(line.endsWith(" 200"), line);
                    served.add(line.substring("name=".length(), line.length() - " 200".length()));
                }
            }
            assertEquals(served, load.answered, "the pool's access log lists exactly the requests nginx got 200 for");
            assertTrue(load.refused.get() > 0);
            // every 502 was refused at connect(): none was taken and then cut or refused (FCGI_OVERLOADED). A
            // request that met a kept connection closing is retried by nginx, so it has a connect() line too.
            Map<String, List<String>> loadErrors = errors(nginx).stream()
                    .filter(line -> line.contains("/hello.php?name=load-"))
                    .collect(java.util.stream.Collectors.groupingBy(
                            line -> line.replaceAll(".*/hello.php\\?name=(load-[0-9-]+).*", "$1")));
            assertEquals(load.refused.get(), loadErrors.size(), () -> String.join("\n", errors(nginx)));
            loadErrors.forEach((name, lines) -> assertTrue(lines.stream().anyMatch(l -> l.contains("connect() to unix:")),
                    () -> name + " was not refused at connect():\n" + String.join("\n", lines)));
        } finally {
            load.stop();
            http.shutdownNow();
        }
    }

    /** How many workers run {@code /hold.php} now, from the full status page. */
    private static long heldRequests(HttpClient http, NginxProcess nginx) {
        Object processes = MiniJson.parseObject(fullStatus(http, nginx)).get("processes");
        return ((List<?>) processes).stream()
                .filter(p -> String.valueOf(((Map<?, ?>) p).get("request uri")).startsWith("/hold.php")).count();
    }

    private static String fullStatus(HttpClient http, NginxProcess nginx) {
        try {
            return http.send(get(nginx, "/status?json&full"), HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Threads sending {@code /hello.php?name=load-T-I} through nginx until stopped, or 20 refusals each. */
    private static final class GracefulStopLoad {
        static final int THREADS = 4;
        final HttpClient http;
        final Set<String> answered = java.util.concurrent.ConcurrentHashMap.newKeySet();
        final java.util.concurrent.atomic.AtomicInteger refused = new java.util.concurrent.atomic.AtomicInteger();
        final List<String> unexpected = new java.util.concurrent.CopyOnWriteArrayList<>();
        final List<Thread> threads = new ArrayList<>();
        volatile boolean stopped;

        GracefulStopLoad(HttpClient http) {
            this.http = http;
        }

        void start(NginxProcess nginx) {
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
            for (int t = 0; t < THREADS; t++) {
                int thread = t;
                threads.add(Thread.ofPlatform().name("load-" + t).start(() -> {
                    int refusals = 0;
                    for (int i = 0; i < 100_000 && refusals < 20 && !stopped && System.nanoTime() < deadline; i++) {
                        String name = "load-" + thread + "-" + i;
                        try {
                            HttpResponse<String> response = http.send(get(nginx, "/hello.php?name=" + name),
                                    HttpResponse.BodyHandlers.ofString());
                            if (response.statusCode() == 502) {
                                refusals++;
                                refused.incrementAndGet();
                            } else if (response.statusCode() == 200
                                    && response.body().matches("hello " + name + " from \\d+\n")) {
                                answered.add(name);
                            } else {
                                unexpected.add(name + ": " + response.statusCode() + " " + response.body());
                            }
                        } catch (IOException e) {
                            unexpected.add(name + ": " + e);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                }));
            }
        }

        void stop() throws InterruptedException {
            stopped = true;
            for (Thread thread : threads) {
                thread.join(WAIT.toMillis());
                assertFalse(thread.isAlive(), thread + " stopped");
            }
        }
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    @DisplayName("SIGTERM stops at once: Terminating ..., exiting, bye-bye!, no child left, no pid file")
    void sigtermStopsNow() throws Exception {
        String phpCgi = ExternalTools.require("php-cgi8.2", "php-cgi");
        Path log = dir.resolve("fpm.log");
        Path pid = dir.resolve("fpm.pid");
        Path conf = write(dir.resolve("fpm.conf"), phpPoolConfig(log, dir.resolve("php.sock"), phpCgi, "2"));
        try (ManagedProcess daemon = startDaemon("fpm-term", conf, pid, log, List.of())) {
            List<Long> children = childPids(daemon);
            assertEquals(2, children.size(), () -> "two children: " + children);
            for (long child : children) {
                String command = ProcessHandle.of(child).flatMap(h -> h.info().command()).orElse("");
                assertTrue(command.contains("php-cgi"), () -> child + " runs " + command);
            }
            daemon.process().destroy();                                 // SIGTERM
            int code = daemon.waitFor(WAIT);
            assertEquals(143, code, () -> "128 + SIGTERM\n" + daemon.describe());
            List<String> lines = logLines(read(log));
            int terminating = lines.indexOf("NOTICE: Terminating ...");
            assertTrue(terminating >= 0 && terminating < lines.indexOf("NOTICE: exiting, bye-bye!"), read(log));
            assertFalse(Files.exists(pid), "the pid file is removed");
            assertNoneAlive(children, "after SIGTERM");
        }
    }

    // ---- the daemon

    /** The shaded jar; skips (or on CI fails) when it was not built. */
    private static Path jar() {
        Path jar = Path.of(System.getProperty("fcgi.examples.jar", "target/fcgi-examples.jar")).toAbsolutePath();
        if (!Files.isRegularFile(jar)) {
            skipOrFail("SKIPPED: " + jar + " is missing: run the *IT tests with mvn verify, after package");
        }
        return jar;
    }

    private static void skipOrFail(String message) {
        if (ExternalTools.isRequired()) {
            throw new AssertionError(message + ", and interop tests are required here (CI)");
        }
        System.err.println(message);
        Assumptions.abort(message);
    }

    /** {@code java -jar fcgi-examples.jar fpm ARGS}, its output in the test's directory. */
    private ManagedProcess fpm(String name, List<String> args) throws IOException {
        List<String> command = new ArrayList<>(List.of(ManagedProcess.javaCommand(), "-Xmx128m",
                "-XX:TieredStopAtLevel=1", "-jar", jar().toString(), "fpm"));
        command.addAll(args);
        return ManagedProcess.start(name, command, dir);
    }

    /** Starts the daemon on {@code conf} and waits for {@code ready to handle connections} in its error_log. */
    private ManagedProcess startDaemon(String name, Path conf, Path pid, Path log, List<String> more)
            throws IOException {
        List<String> args = new ArrayList<>(more);
        args.addAll(List.of("-y", conf.toString()));
        if (pid != null) {
            args.addAll(List.of("-g", pid.toString()));
        }
        ManagedProcess daemon = fpm(name, args);
        try {
            Await.until(WAIT, () -> !daemon.isAlive() || read(log).contains("NOTICE: ready to handle connections"),
                    () -> "the daemon ready\n" + daemon.describe() + "\n--- error_log:\n" + read(log));
            assertTrue(daemon.isAlive(), () -> daemon.describe() + "\n--- error_log:\n" + read(log));
        } catch (AssertionError | RuntimeException e) {
            daemon.close();
            throw e;
        }
        return daemon;
    }

    /** {@code fpm -s ACTION -g PIDFILE}, in a JVM of its own; it must exit 0. */
    private void control(String action, Path pid) throws Exception {
        try (ManagedProcess control = fpm("fpm-s-" + action + "-" + System.nanoTime(),
                List.of("-s", action, "-g", pid.toString()))) {
            assertEquals(0, control.waitFor(WAIT), control::describe);
        }
    }

    /** The output of one {@code -t} run. */
    private record Run(int code, String stdout, String output) {
        /** The log lines, without their timestamps. */
        List<String> lines() {
            return logLines(output);
        }

        String describe() {
            return "exit code " + code + "\n--- stdout:\n" + stdout + "\n--- log:\n" + output;
        }
    }

    /**
     * {@code fpm -y conf -t} in this JVM ({@link FpmDaemon#run}): a -t run installs no signal handler and starts
     * nothing. Its log goes through SLF4J to {@link FpmLog}, pointed at a file for the run.
     */
    private static Run testInProcess(Path conf, String option) throws Exception {
        Path log = conf.resolveSibling(conf.getFileName() + option + ".out");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code;
        FpmLog.file(log);
        try (PrintStream o = new PrintStream(out, true, UTF_8); PrintStream e = new PrintStream(err, true, UTF_8)) {
            code = FpmDaemon.run(List.of("-y", conf.toString(), option), o, e);
        } finally {
            FpmLog.file(null);
        }
        return new Run(code, out.toString(UTF_8), err.toString(UTF_8) + read(log));
    }

    // ---- helpers

    /** The document root, readable by nobody (the children's user when the tests run as root). */
    private Path documentRoot() throws IOException {
        Path root = Files.createDirectories(dir.resolve("www"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
        for (Map.Entry<String, String> script : Map.of("compare.php", COMPARE_PHP, "hello.php", HELLO_PHP,
                "hold.php", HOLD_PHP).entrySet()) {
            Path file = Files.writeString(root.resolve(script.getKey()), script.getValue(), UTF_8);
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        }
        return root;
    }

    private static void assertHello(HttpClient http, NginxProcess nginx, String name) throws Exception {
        HttpResponse<String> hello = http.send(get(nginx, "/hello.php?name=" + name),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, hello.statusCode(), () -> hello.body() + "\n" + nginx.describe());
        assertTrue(hello.body().matches("hello " + name + " from \\d+\n"), hello.body());
    }

    /** The pool's status page in JSON, through nginx. */
    private static Map<String, Object> status(HttpClient http, NginxProcess nginx) {
        try {
            HttpResponse<String> status = http.send(get(nginx, "/status?json"), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, status.statusCode(), () -> status.body() + "\n" + nginx.describe());
            return MiniJson.parseObject(status.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static HttpClient httpClient() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10))
                .build();
    }

    private static HttpRequest get(NginxProcess nginx, String pathAndQuery) {
        return HttpRequest.newBuilder(nginx.uri(pathAndQuery)).timeout(WAIT).build();
    }

    /** nginx's [error] and worse lines. */
    private static List<String> errors(NginxProcess nginx) {
        return nginx.errorLog().lines().filter(l -> l.matches(".*\\[(error|crit|alert|emerg)].*")).toList();
    }

    /** The daemon's child processes now (php-cgi: setpriv execs it, so they are its direct children). */
    private static List<Long> childPids(ManagedProcess daemon) {
        return daemon.process().children().map(ProcessHandle::pid).filter(FpmDaemonIT::alive).toList();
    }

    private static void assertNoneAlive(Set<Long> pids, String when) {
        assertFalse(pids.isEmpty());
        Await.until(Duration.ofSeconds(5), () -> pids.stream().noneMatch(FpmDaemonIT::alive),
                () -> "children alive " + when + ": " + pids.stream().filter(FpmDaemonIT::alive).toList()
                        + " of " + pids);
    }

    private static void assertNoneAlive(List<Long> pids, String when) {
        assertNoneAlive(new LinkedHashSet<>(pids), when);
    }

    /** Whether {@code pid} runs: a zombie (state Z in /proc/PID/stat, waiting for its new parent) does not. */
    private static boolean alive(long pid) {
        if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
            try {
                String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
                return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
            } catch (IOException e) {
                return false;                                   // gone meanwhile
            }
        }
        return false;
    }

    /** Whether something accepts connections on the Unix socket {@code socket}. */
    private static boolean accepts(Path socket) {
        if (!Files.exists(socket)) {
            return false;
        }
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            return channel.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            return false;
        }
    }

    /** The lines of an FPM log, without their timestamps. */
    static List<String> logLines(String log) {
        return log.lines().map(l -> TIMESTAMP.matcher(l).replaceFirst("")).filter(l -> !l.isBlank()).toList();
    }

    private static int lineOf(String text, String line) {
        List<String> lines = text.lines().toList();
        int index = lines.indexOf(line);
        assertTrue(index >= 0, () -> "'" + line + "' in\n" + text);
        return index + 1;
    }

    private static Path write(Path file, String text) throws IOException {
        return Files.writeString(file, text, UTF_8);
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file, UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Whether the tests run as root (then children run as nobody, and php-fpm needs -R). */
    private static boolean isRoot() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    String[] ids = line.substring(4).trim().split("\\s+");
                    return ids.length > 1 && ids[1].equals("0");
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: fall through
        }
        return "root".equals(System.getProperty("user.name"));
    }
}
