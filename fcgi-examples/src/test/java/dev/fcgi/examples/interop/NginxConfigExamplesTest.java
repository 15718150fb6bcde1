package dev.fcgi.examples.interop;

import dev.fcgi.pool.FcgiPool;
import dev.fcgi.pool.StaticStrategy;
import dev.fcgi.pool.process.ChildProcessWorkers;
import dev.fcgi.protocol.FcgiTransport;
import dev.fcgi.protocol.server.FcgiServer;
import dev.fcgi.protocol.testing.Await;
import dev.fcgi.protocol.testing.ExternalTools;
import dev.fcgi.protocol.testing.FreePorts;
import dev.fcgi.protocol.testing.ManagedProcess;
import dev.fcgi.protocol.testing.NginxProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.SocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs real nginx with each configuration in {@code fcgi-examples/nginx/}, as a user would copy it into
 * {@code /etc/nginx/conf.d/}: the file is included unchanged but for its addresses, which are replaced by string
 * replacement (the application's {@code 127.0.0.1:9000}, {@code 10.0.0.1x:9000} or {@code /run/fcgi/app.sock} by
 * the test's backends, {@code listen 80} by a free loopback port, {@code root} by a directory of the test), inside a
 * minimal main {@code nginx.conf} the test writes next to a copy of {@code /etc/nginx/fastcgi_params} (or Debian's
 * content when nginx's is missing). Each configuration passes {@code nginx -t}, and:
 * <ul>
 *   <li>{@code tcp.conf}: a GET reaches our {@link FcgiServer} with the params the example sets, and, without
 *       {@code fastcgi_keep_conn}, each FastCGI connection is closed after its request;</li>
 *   <li>{@code unix-socket.conf}: the same over a Unix socket with the mode the example's note gives (0660);</li>
 *   <li>{@code keepalive.conf}: six requests over one kept-alive HTTP connection use one FastCGI connection, and a
 *       streamed answer reaches the client line by line, each line read before the handler writes the next;</li>
 *   <li>{@code several-hosts.conf}: 30 requests are spread over three backends; with one backend closed, 30 more
 *       all succeed on the other two; with one backend refusing every request with FCGI_OVERLOADED, nginx logs
 *       the refusal and passes each one to another backend ({@code invalid_header});</li>
 *   <li>{@code php.conf}: PHP scripts run by a pool of php-cgi children: a script, PATH_INFO, 404 for a missing
 *       script (which never reaches the pool), the front controller, a static file.</li>
 * </ul>
 * The 10.0.0.x addresses are never contacted: the test checks that none is left outside comments. Skipped (or
 * failed on CI) without nginx; the PHP test also without php-cgi.
 */
class NginxConfigExamplesTest {

    /** The examples, relative to the module's directory (surefire's working directory). */
    private static final Path EXAMPLES = Path.of("nginx");
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final int START_ATTEMPTS = 3;
    /** What the backends echo, one {@code NAME=value} line each, after {@code BACKEND=name}. */
    private static final List<String> ECHOED = List.of("SCRIPT_FILENAME", "REQUEST_URI", "HTTP_HOST",
            "DOCUMENT_ROOT", "QUERY_STRING", "PATH_INFO");
    private static final Pattern ACCESS_LINE = Pattern.compile("(\\d+) (\\d+) (\\d{3}) .*");

    @TempDir
    Path dir;

    private final List<AutoCloseable> resources = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    @AfterEach
    void closeAll() throws Exception {
        http.shutdownNow();
        http.awaitTermination(Duration.ofSeconds(10));
        Exception failure = null;
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    @Test
    @DisplayName("tcp.conf: fastcgi_pass to 127.0.0.1:9000, a connection per request")
    void tcp() throws Exception {
        Backend backend = backend("tcp", FcgiServer.builder().listen("127.0.0.1:0"));
        ExampleNginx nginx = nginx("tcp.conf", Map.of("127.0.0.1:9000", backend.address()));

        for (int i = 0; i < 3; i++) {
            Echo echo = get(nginx, "/hello/world?n=" + i);
            assertEquals("tcp", echo.backend());
            assertEquals(nginx.root() + "/hello/world", echo.param("SCRIPT_FILENAME"));
            assertEquals(nginx.root().toString(), echo.param("DOCUMENT_ROOT"));
            assertEquals("/hello/world?n=" + i, echo.param("REQUEST_URI"));
            assertEquals("n=" + i, echo.param("QUERY_STRING"));
            assertEquals(nginx.expectedHttpHost(), echo.param("HTTP_HOST"));
            // no fastcgi_keep_conn: the server closes the connection after FCGI_END_REQUEST
            Await.until(TIMEOUT, () -> backend.server.connectionCount() == 0,
                    () -> "the FastCGI connection of request " + echo.param("REQUEST_URI") + " is closed\n"
                            + nginx.describe());
        }
        assertEquals(3, backend.requests.get());
        assertEquals(List.of(), nginx.errors(), nginx::describe);
    }

    @Test
    @DisplayName("unix-socket.conf: fastcgi_pass to unix:/run/fcgi/app.sock (mode 0660)")
    void unixSocket() throws Exception {
        Path socket = dir.resolve("app.sock");
        Backend backend = backend("unix", FcgiServer.builder().listen("unix:" + socket).unixSocketMode(0660));
        assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
        ExampleNginx nginx = nginx("unix-socket.conf", Map.of("/run/fcgi/app.sock", socket.toString()));

        Echo echo = get(nginx, "/over/unix?socket=1");
        assertEquals("unix", echo.backend());
        assertEquals(nginx.root() + "/over/unix", echo.param("SCRIPT_FILENAME"));
        assertEquals("/over/unix?socket=1", echo.param("REQUEST_URI"));
        assertEquals(nginx.expectedHttpHost(), echo.param("HTTP_HOST"));
        assertEquals(1, backend.requests.get());
        assertEquals(List.of(), nginx.errors(), nginx::describe);
    }

    @Test
    @DisplayName("keepalive.conf: requests over one kept-alive HTTP connection share one FastCGI connection")
    void keepalive() throws Exception {
        Backend backend = backend("kept", FcgiServer.builder().listen("127.0.0.1:0"));
        ExampleNginx nginx = nginx("keepalive.conf", Map.of("127.0.0.1:9000", backend.address()));

        int requests = 6;
        for (int i = 0; i < requests; i++) {
            Echo echo = get(nginx, "/kept?n=" + i);
            assertEquals("/kept?n=" + i, echo.param("REQUEST_URI"));
            assertEquals(nginx.root() + "/kept", echo.param("SCRIPT_FILENAME"));
            assertEquals(1, backend.server.connectionCount(), "FastCGI connections open after request " + i);
        }
        assertEquals(requests, backend.requests.get());
        assertEquals(1, backend.peers.size(), () -> "nginx's ends of the FastCGI connections: " + backend.peers);
        // and the client's side: one HTTP connection ($connection) carried them all ($connection_requests 1..6)
        Await.until(TIMEOUT, () -> nginx.accessLog().size() == requests, nginx::describe);
        List<String[]> lines = nginx.accessLog();
        for (int i = 0; i < requests; i++) {
            assertEquals(lines.get(0)[0], lines.get(i)[0], nginx::describe);
            assertEquals(Integer.toString(i + 1), lines.get(i)[1], nginx::describe);
            assertEquals("200", lines.get(i)[2], nginx::describe);
        }

        // a streamed answer (flushed line by line, with "X-Accel-Buffering: no" as keepalive.conf suggests): each
        // line reaches the client while the handler waits for the client to have read it
        HttpResponse<InputStream> streamed = http.send(request(nginx, "/stream").build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, streamed.statusCode(), nginx::describe);
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(streamed.body(), UTF_8))) {
            for (int i = 0; i < backend.release.size(); i++) {
                assertEquals("line " + i, reader.readLine(), "flushed, and the handler waits (no timeout)");
                backend.release.get(i).countDown();
            }
            assertEquals("end", reader.readLine());
            assertEquals(null, reader.readLine());
        }
        assertEquals(1, backend.peers.size(), () -> "still one FastCGI connection: " + backend.peers);
        assertEquals(List.of(), nginx.errors(), nginx::describe);
    }

    @Test
    @DisplayName("several-hosts.conf: least_conn over three backends; one closed, the others take every request")
    void severalHosts() throws Exception {
        Backend first = backend("b1", FcgiServer.builder().listen("127.0.0.1:0"));
        Backend second = backend("b2", FcgiServer.builder().listen("127.0.0.1:0"));
        Backend third = backend("b3", FcgiServer.builder().listen("127.0.0.1:0"));
        ExampleNginx nginx = nginx("several-hosts.conf", hostReplacements(first, second, third));

        Map<String, Integer> served = new LinkedHashMap<>();
        for (int i = 0; i < 30; i++) {
            Echo echo = get(nginx, "/spread?n=" + i);
            assertEquals("/spread?n=" + i, echo.param("REQUEST_URI"));
            served.merge(echo.backend(), 1, Integer::sum);
        }
        System.out.println("several-hosts.conf, 30 requests over three backends: " + served);
        for (Backend backend : List.of(first, second, third)) {
            assertTrue(backend.requests.get() > 0, () -> backend.name + " served none: " + served);
        }

        first.server.close();
        int before = first.requests.get();
        Map<String, Integer> afterClose = new LinkedHashMap<>();
        for (int i = 0; i < 30; i++) {
            Echo echo = get(nginx, "/failover?n=" + i);
            assertEquals("/failover?n=" + i, echo.param("REQUEST_URI"));
            afterClose.merge(echo.backend(), 1, Integer::sum);
        }
        System.out.println("several-hosts.conf, 30 requests with b1 closed: " + afterClose);
        assertEquals(before, first.requests.get());
        assertTrue(afterClose.getOrDefault("b2", 0) > 0 && afterClose.getOrDefault("b3", 0) > 0,
                () -> "b2 and b3 share the load: " + afterClose);
        // the failed tries are nginx's errors, which fastcgi_next_upstream passed on
        assertTrue(nginx.errorLog().contains(first.address()), nginx::describe);
    }

    @Test
    @DisplayName("several-hosts.conf: a backend refusing with FCGI_OVERLOADED, nginx passes the request on")
    void severalHostsOverloaded() throws Exception {
        AtomicInteger refused = new AtomicInteger();
        // a pool whose queue is full refuses the same way: its dispatcher throws RejectedExecutionException
        Backend full = backend("full", FcgiServer.builder().listen("127.0.0.1:0").executor(task -> {
            refused.incrementAndGet();
            throw new RejectedExecutionException("the queue is full (test)");
        }));
        Backend second = backend("b2", FcgiServer.builder().listen("127.0.0.1:0"));
        Backend third = backend("b3", FcgiServer.builder().listen("127.0.0.1:0"));
        ExampleNginx nginx = nginx("several-hosts.conf", hostReplacements(full, second, third));

        Map<String, Integer> served = new LinkedHashMap<>();
        for (int i = 0; i < 30; i++) {
            Echo echo = get(nginx, "/overload?n=" + i);
            assertEquals("/overload?n=" + i, echo.param("REQUEST_URI"));
            served.merge(echo.backend(), 1, Integer::sum);
        }
        System.out.println("several-hosts.conf, 30 requests, one backend overloaded (" + refused.get()
                + " refused): " + served);
        assertTrue(refused.get() > 0, () -> "the overloaded backend was tried: " + served + "\n" + nginx.describe());
        assertEquals(0, full.requests.get());
        assertEquals(30, second.requests.get() + third.requests.get());
        assertTrue(nginx.errorLog().contains("upstream sent unexpected FastCGI record: 3"), nginx::describe);
    }

    @Test
    @DisplayName("php.conf: PHP scripts run by a pool of php-cgi children")
    void php() throws Exception {
        String phpCgi = ExternalTools.require("php-cgi8.2", "php-cgi");
        // the children run as nobody when the tests run as root: the scripts must be readable by all
        Path root = dir.resolve("www");
        Files.createDirectories(root);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
        writeReadable(root.resolve("info.php"), """
                <?php
                foreach (['SCRIPT_FILENAME', 'PATH_INFO', 'REQUEST_URI'] as $name) {
                    echo $name, '=', $_SERVER[$name] ?? '', "\\n";
                }
                echo 'pid=', getmypid(), "\\n";
                """);
        writeReadable(root.resolve("index.php"), """
                <?php
                echo 'front controller for ', $_SERVER['REQUEST_URI'], ' a=', $_GET['a'] ?? '', "\\n";
                """);
        writeReadable(root.resolve("static.txt"), "static from nginx\n");

        FcgiPool pool = FcgiPool.builder("www").strategy(StaticStrategy.of(2))
                .workers(ChildProcessWorkers.builder(phpCgi).user(isRoot() ? "nobody" : null).build())
                .build().start();
        resources.add(() -> {
            pool.shutdownNow();
            assertTrue(pool.awaitTermination(Duration.ofSeconds(20)), () -> "the pool ends: " + pool.snapshot());
        });
        FcgiServer server = FcgiServer.builder().listen("127.0.0.1:0").handler(pool.handler()).dispatcher(pool)
                .build().start();
        resources.add(server);
        ExampleNginx nginx = nginx("php.conf", Map.of("127.0.0.1:9000",
                FcgiTransport.formatAddress(server.localAddress())), root);

        Map<String, String> info = lines(send(nginx, "/info.php?x=1", 200));
        assertEquals(root + "/info.php", info.get("SCRIPT_FILENAME"));
        assertEquals("", info.get("PATH_INFO"));
        assertEquals("/info.php?x=1", info.get("REQUEST_URI"));

        Map<String, String> pathInfo = lines(send(nginx, "/info.php/extra/path", 200));
        assertEquals(root + "/info.php", pathInfo.get("SCRIPT_FILENAME"));
        assertEquals("/extra/path", pathInfo.get("PATH_INFO"));

        long accepted = pool.status().acceptedConn();
        send(nginx, "/missing.php", 404);
        send(nginx, "/static.txt/x.php", 404);
        assertEquals(accepted, pool.status().acceptedConn(), "try_files answered 404 without the pool");

        assertEquals("front controller for /pretty/url?a=b a=b\n", send(nginx, "/pretty/url?a=b", 200));
        assertEquals("front controller for / a=\n", send(nginx, "/", 200));
        assertEquals("static from nginx\n", send(nginx, "/static.txt", 200));
        assertEquals(accepted + 2, pool.status().acceptedConn());
    }

    // ---- backends: our FcgiServer echoing a few params and its own name

    /** A FastCGI server of the test, counting its requests and nginx's ends of the connections they came on. */
    private static final class Backend implements AutoCloseable {
        final String name;
        final AtomicInteger requests = new AtomicInteger();
        final Set<SocketAddress> peers = ConcurrentHashMap.newKeySet();
        /** Release the handler of {@code /stream} after each line it flushed. */
        final List<CountDownLatch> release = List.of(new CountDownLatch(1), new CountDownLatch(1),
                new CountDownLatch(1));
        FcgiServer server;

        Backend(String name) {
            this.name = name;
        }

        String address() {
            return FcgiTransport.formatAddress(server.localAddress());
        }

        @Override
        public void close() {
            server.close();
        }
    }

    private Backend backend(String name, FcgiServer.Builder builder) throws IOException {
        Backend backend = new Backend(name);
        backend.server = builder.handler((request, response) -> {
            backend.requests.incrementAndGet();
            backend.peers.add(request.peerAddress());
            response.contentType("text/plain; charset=utf-8");
            OutputStream body = response.body();
            if ("/stream".equals(request.documentUri())) {
                // each line flushed, the next one written only once the client has read it (or after a timeout)
                response.header("X-Accel-Buffering", "no");
                for (int i = 0; i < backend.release.size(); i++) {
                    body.write(("line " + i + "\n").getBytes(UTF_8));
                    body.flush();
                    if (!backend.release.get(i).await(TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                        body.write("timeout\n".getBytes(UTF_8));
                        return;
                    }
                }
                body.write("end\n".getBytes(UTF_8));
                return;
            }
            StringBuilder text = new StringBuilder("BACKEND=").append(backend.name).append('\n');
            for (String param : ECHOED) {
                String value = request.param(param);
                text.append(param).append('=').append(value == null ? "" : value).append('\n');
            }
            body.write(text.toString().getBytes(UTF_8));
        }).build().start();
        resources.add(backend);
        return backend;
    }

    /** several-hosts.conf's three hosts replaced by the test's three backends. */
    private static Map<String, String> hostReplacements(Backend first, Backend second, Backend third) {
        return Map.of("10.0.0.11:9000", first.address(), "10.0.0.12:9000", second.address(),
                "10.0.0.13:9000", third.address());
    }

    // ---- nginx with one example

    private ExampleNginx nginx(String example, Map<String, String> addresses) throws Exception {
        Path root = dir.resolve("www");
        Files.createDirectories(root);
        return nginx(example, addresses, root);
    }

    /**
     * Writes the main nginx.conf and the example with its addresses replaced, checks them with {@code nginx -t},
     * then starts nginx and waits until it accepts connections.
     */
    private ExampleNginx nginx(String example, Map<String, String> addresses, Path root) throws Exception {
        String program = ExternalTools.require("nginx");
        Path home = dir.resolve("nginx");
        Files.createDirectories(home.resolve("conf.d"));
        String params = fastcgiParams();
        Files.writeString(home.resolve("fastcgi_params"), params, UTF_8);
        String original = Files.readString(EXAMPLES.resolve(example), UTF_8);
        String withAddresses = original;
        for (Map.Entry<String, String> address : addresses.entrySet()) {
            withAddresses = replaceAll(example, withAddresses, address.getKey(), address.getValue());
        }
        withAddresses = replaceOne(example, withAddresses, "(?m)^(\\s*root) /var/www/\\w+;",
                "$1 " + Matcher.quoteReplacement(root.toString()) + ";");
        String directives = withoutComments(withAddresses);
        for (String foreign : List.of("10.0.0.", "127.0.0.1:9000", "/run/fcgi/", "/var/www/")) {
            assertFalse(directives.contains(foreign), () -> example + " still names " + foreign + ":\n" + directives);
        }

        AssertionError last = null;
        for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
            int port = FreePorts.find();
            String config = replaceOne(example, withAddresses, "(?m)^(\\s*listen) 80;", "$1 127.0.0.1:" + port + ";");
            Path included = home.resolve("conf.d").resolve(example);
            Files.writeString(included, config, UTF_8);
            Path main = home.resolve("nginx.conf");
            Files.writeString(main, mainConfig(home, included), UTF_8);
            Files.deleteIfExists(home.resolve("error.log"));
            List<String> command = List.of(program, "-p", home + "/", "-c", main.toString(),
                    "-e", home.resolve("error.log").toString());

            ManagedProcess test = ManagedProcess.start("nginx-t", withTest(command), home);
            try {
                int exit = test.waitFor(TIMEOUT);
                assertEquals(0, exit, () -> "nginx -t with " + example + "\n" + test.describe() + "\n" + config);
                assertTrue(test.stderr().contains("test is successful"), test::describe);
            } finally {
                test.close();
            }

            ManagedProcess process = ManagedProcess.start("nginx", command, home);
            ExampleNginx nginx = new ExampleNginx(example, home, root, port, process, config, params);
            boolean started = false;
            try {
                Await.until(TIMEOUT, () -> !process.isAlive() || FreePorts.accepts(port),
                        () -> "nginx accepting on 127.0.0.1:" + port + "\n" + nginx.describe());
                if (process.isAlive()) {
                    resources.add(nginx);
                    started = true;
                    return nginx;
                }
                last = new AssertionError("nginx exited at start\n" + nginx.describe());
                if (!nginx.errorLog().contains("Address already in use")) {
                    throw last;
                }
            } finally {
                if (!started) {
                    nginx.close();
                }
            }
            // another program took the port between FreePorts.find() and nginx's bind: try another one
        }
        throw last;
    }

    private static List<String> withTest(List<String> command) {
        List<String> test = new ArrayList<>(command);
        test.add(1, "-t");
        return test;
    }

    /**
     * The main nginx.conf: one process (as root, workers would run as nobody, who cannot enter the 0700 temporary
     * directory), every file in {@code home}, an access log with nginx's connection serial number and request
     * count on it, and the example.
     */
    private static String mainConfig(Path home, Path example) {
        String h = home.toAbsolutePath().toString();
        StringBuilder conf = new StringBuilder();
        conf.append("# written by ").append(NginxConfigExamplesTest.class.getName()).append('\n');
        conf.append("daemon off;\n");
        conf.append("master_process off;\n");
        conf.append("worker_processes 1;\n");
        conf.append("error_log ").append(h).append("/error.log warn;\n");
        conf.append("pid ").append(h).append("/nginx.pid;\n");
        conf.append("events {\n    worker_connections 256;\n}\n");
        conf.append("http {\n");
        conf.append("    default_type application/octet-stream;\n");
        conf.append("    log_format example '$connection $connection_requests $status \"$request\"")
                .append(" upstream=$upstream_addr';\n");
        conf.append("    access_log ").append(h).append("/access.log example;\n");
        for (String temp : List.of("client_body", "proxy", "fastcgi", "uwsgi", "scgi")) {
            conf.append("    ").append(temp).append("_temp_path ").append(h).append('/').append(temp)
                    .append("_temp;\n");
        }
        // the example's "include fastcgi_params;" is relative to this file's directory, where the copy is
        conf.append("    include ").append(example.toAbsolutePath()).append(";\n");
        conf.append("}\n");
        return conf.toString();
    }

    /** nginx's own fastcgi_params, or Debian's (without the SCRIPT_FILENAME the examples set themselves). */
    private static String fastcgiParams() throws IOException {
        Path installed = Path.of("/etc/nginx/fastcgi_params");
        if (Files.isReadable(installed)) {
            return Files.readString(installed, UTF_8);
        }
        return NginxProcess.FASTCGI_PARAMS.lines().filter(line -> !line.contains("SCRIPT_FILENAME"))
                .reduce("", (text, line) -> text + line + "\n");
    }

    /** Replaces every occurrence of {@code from}, which must occur. */
    private static String replaceAll(String example, String text, String from, String to) {
        assertTrue(text.contains(from), () -> example + " does not name " + from);
        return text.replace(from, to);
    }

    /** Replaces the one match of {@code regex}, which must match exactly once. */
    private static String replaceOne(String example, String text, String regex, String replacement) {
        Matcher matcher = Pattern.compile(regex).matcher(text);
        int matches = 0;
        while (matcher.find()) {
            matches++;
        }
        assertEquals(1, matches, () -> example + ": lines matching " + regex);
        return text.replaceFirst(regex, replacement);
    }

    private static String withoutComments(String config) {
        return config.lines().map(line -> line.replaceFirst("#.*", "")).reduce("", (text, line) -> text + line + "\n");
    }

    /** nginx running one example; stopped by PID. */
    private static final class ExampleNginx implements AutoCloseable {
        private final String example;
        private final Path home;
        private final Path root;
        private final int port;
        private final ManagedProcess process;
        private final String config;
        private final String params;

        ExampleNginx(String example, Path home, Path root, int port, ManagedProcess process, String config,
                     String params) {
            this.example = example;
            this.home = home;
            this.root = root;
            this.port = port;
            this.process = process;
            this.config = config;
            this.params = params;
        }

        URI uri(String pathAndQuery) {
            return URI.create("http://127.0.0.1:" + port + pathAndQuery);
        }

        Path root() {
            return root;
        }

        /**
         * HTTP_HOST as the backend gets it: the Host header ({@code 127.0.0.1:PORT}), unless fastcgi_params sets
         * it, as Debian's now does with {@code $host} (no port).
         */
        String expectedHttpHost() {
            for (String line : withoutComments(params).lines().toList()) {
                String[] words = line.trim().split("\\s+");
                if (words.length >= 3 && words[0].equals("fastcgi_param") && words[1].equals("HTTP_HOST")) {
                    assertEquals("$host;", words[2], "HTTP_HOST in fastcgi_params");
                    return "127.0.0.1";
                }
            }
            return "127.0.0.1:" + port;
        }

        String errorLog() {
            return read(home.resolve("error.log"));
        }

        /** The error log's lines at level error or worse. */
        List<String> errors() {
            return errorLog().lines().filter(l -> l.matches(".*\\[(error|crit|alert|emerg)].*")).toList();
        }

        /** The access log: connection serial number, requests on that connection, status. */
        List<String[]> accessLog() {
            List<String[]> lines = new ArrayList<>();
            for (String line : read(home.resolve("access.log")).lines().toList()) {
                Matcher matcher = ACCESS_LINE.matcher(line);
                if (matcher.matches()) {
                    lines.add(new String[] {matcher.group(1), matcher.group(2), matcher.group(3)});
                }
            }
            return lines;
        }

        String describe() {
            return "nginx with " + example + " on 127.0.0.1:" + port + "\n--- " + example + ":\n" + config
                    + "--- error.log:\n" + errorLog() + "\n--- access.log:\n" + read(home.resolve("access.log"))
                    + "\n--- process:\n" + process.describe();
        }

        @Override
        public void close() {
            process.close();
        }

        private static String read(Path file) {
            try {
                return Files.exists(file) ? Files.readString(file, UTF_8) : "";
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    // ---- HTTP

    private static HttpRequest.Builder request(ExampleNginx nginx, String pathAndQuery) {
        return HttpRequest.newBuilder(nginx.uri(pathAndQuery)).timeout(TIMEOUT);
    }

    /** The body of a GET, which must answer {@code status}. */
    private String send(ExampleNginx nginx, String pathAndQuery, int status) throws Exception {
        HttpResponse<String> response = http.send(request(nginx, pathAndQuery).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(status, response.statusCode(),
                () -> "GET " + pathAndQuery + ": " + response.body() + "\n" + nginx.describe());
        return response.body();
    }

    /** A GET answered 200 by a backend. */
    private Echo get(ExampleNginx nginx, String pathAndQuery) throws Exception {
        return new Echo(lines(send(nginx, pathAndQuery, 200)));
    }

    private static Map<String, String> lines(String body) {
        Map<String, String> values = new LinkedHashMap<>();
        for (String line : body.lines().toList()) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                values.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return values;
    }

    /** What a backend echoed. */
    private record Echo(Map<String, String> params) {
        String backend() {
            return params.get("BACKEND");
        }

        String param(String name) {
            assertTrue(params.containsKey(name), () -> name + " in " + params);
            return params.get(name);
        }
    }

    private static void writeReadable(Path file, String text) throws IOException {
        Files.writeString(file, text, UTF_8);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    }

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
