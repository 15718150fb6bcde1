package dev.fcgi.examples.interop;

import dev.fcgi.pool.DynamicStrategy;
import dev.fcgi.pool.FcgiPool;
import dev.fcgi.pool.OnDemandStrategy;
import dev.fcgi.pool.PoolStrategy;
import dev.fcgi.pool.StaticStrategy;
import dev.fcgi.pool.WorkerState;
import dev.fcgi.pool.WorkerView;
import dev.fcgi.pool.process.ChildProcessWorkers;
import dev.fcgi.pool.status.StatusFormat;
import dev.fcgi.protocol.server.FcgiServer;
import dev.fcgi.protocol.testing.Await;
import dev.fcgi.protocol.testing.ExternalTools;
import dev.fcgi.protocol.testing.MiniJson;
import dev.fcgi.protocol.testing.NginxProcess;
import dev.fcgi.protocol.testing.Sha256;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * nginx in front of our {@link FcgiServer}, whose {@link FcgiPool} runs real php-cgi children
 * ({@link ChildProcessWorkers}): the whole FPM replacement, seen by an HTTP client.
 *
 * <p>Under each strategy (static with 3 children; dynamic with {@code pm.max_children = 4},
 * {@code pm.start_servers = 2}, {@code pm.min_spare_servers = 1}, {@code pm.max_spare_servers = 3}; ondemand with
 * {@code pm.max_children = 4} and {@code pm.process_idle_timeout = 10s}), through nginx with HTTP/1.1:
 * <ol>
 *   <li>a GET with a query string: the script echoes the parameter and its {@code getmypid()}, one of the pool's
 *       children;</li>
 *   <li>a POST of 10 MiB (random bytes): the script's SHA-256 and length of {@code php://input} match;</li>
 *   <li>request headers and cookies reach {@code $_COOKIE} and {@code $_SERVER}; two {@code Set-Cookie} headers
 *       and a custom header come back;</li>
 *   <li>a 20 MiB answer written in 1 MiB {@code str_repeat} chunks arrives byte for byte (SHA-256);</li>
 *   <li>the pool counted every request, its children are alive while it runs, and none of the children seen
 *       survives {@code shutdownNow()} and {@code awaitTermination}.</li>
 * </ol>
 * And a {@code kill -9} of a busy child under load: its request gets nginx's 502, 30 concurrent requests all
 * succeed on the other children, a new child replaces the dead one, and the status page shows the new pid, not the
 * dead one.
 *
 * <p>When the tests run as root the children run as {@code nobody}, so the document root and its scripts are made
 * readable by all. Skipped (or failed on CI) without nginx or php-cgi.
 */
class NginxPhpChildrenTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    /** Echoes {@code name} and the child's pid. */
    private static final String HELLO = """
            <?php
            header('X-Child-Pid: ' . getmypid());
            echo 'hello ', $_GET['name'] ?? 'world', ' from ', getmypid();
            """;
    /** The SHA-256 and length of the request body. */
    private static final String UPLOAD = """
            <?php
            header('X-Child-Pid: ' . getmypid());
            $body = file_get_contents('php://input');
            echo hash('sha256', $body), ' ', strlen($body);
            """;
    /** Echoes the cookies and a request header; sets two cookies and a header. */
    private static final String HEADERS = """
            <?php
            header('X-Child-Pid: ' . getmypid());
            header('Set-Cookie: c=3; Path=/', false);
            header('Set-Cookie: d=4; HttpOnly', false);
            header('X-Php-Answer: from php');
            echo json_encode($_COOKIE), ' ', $_SERVER['HTTP_X_TEST'] ?? '-';
            """;
    /** {@code mb} chunks of 1 MiB, chunk i being 65536 times the 16 bytes {@code sprintf('%015d', i) . "\n"}. */
    private static final String BIG = """
            <?php
            header('X-Child-Pid: ' . getmypid());
            for ($i = 0; $i < (int) $_GET['mb']; $i++) {
                echo str_repeat(sprintf('%015d', $i) . "\\n", 65536);
            }
            """;
    /** Holds its child until the file {@code f} exists. */
    private static final String HOLD = """
            <?php
            header('X-Child-Pid: ' . getmypid());
            while (!file_exists($_GET['f'])) { usleep(5000); }
            echo 'released ' . getmypid();
            """;

    private static final Pattern HELLO_BODY = Pattern.compile("hello (\\S+) from (\\d+)");
    private static final int UPLOAD_BYTES = 10 * 1024 * 1024;
    private static final int BIG_MIB = 20;

    /** The three process managers, as FPM's pm directives would set them. */
    enum Pm {
        STATIC {
            @Override
            PoolStrategy strategy() {
                return StaticStrategy.of(3);
            }
        },
        DYNAMIC {
            @Override
            PoolStrategy strategy() {
                return DynamicStrategy.newBuilder().maxChildren(4).startServers(2).minSpareServers(1)
                        .maxSpareServers(3).build();
            }
        },
        ONDEMAND {
            @Override
            PoolStrategy strategy() {
                return OnDemandStrategy.newBuilder().maxChildren(4).processIdleTimeout(Duration.ofSeconds(10))
                        .build();
            }
        };

        abstract PoolStrategy strategy();
    }

    @TempDir
    Path dir;

    @ParameterizedTest(name = "pm = {0}")
    @EnumSource(Pm.class)
    @DisplayName("GET, 10 MiB POST, cookies and headers, a 20 MiB answer: nginx -> pool of php-cgi children")
    void servesPhpThroughNginx(Pm pm) throws Exception {
        Path root = documentRoot();
        Set<Long> seen = new LinkedHashSet<>();
        try (Stack stack = Stack.start(dir, root, pm.strategy())) {
            FcgiPool pool = stack.pool;
            NginxProcess nginx = stack.nginx;
            HttpClient http = stack.http;

            // 1. a GET with a query string
            HttpResponse<String> hello = http.send(get(nginx, "/hello.php?name=nginx-" + pm).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, hello.statusCode(), () -> hello.body() + "\n" + nginx.describe());
            Matcher matcher = HELLO_BODY.matcher(hello.body());
            assertTrue(matcher.matches(), hello.body());
            assertEquals("nginx-" + pm, matcher.group(1));
            long helloPid = Long.parseLong(matcher.group(2));
            assertEquals(Long.toString(helloPid), hello.headers().firstValue("X-Child-Pid").orElse(null));
            List<Long> children = pids(pool);
            assertTrue(children.contains(helloPid), () -> "pid " + helloPid + " is a child of the pool: "
                    + pool.snapshot());
            seen.add(helloPid);
            seen.addAll(children);

            // 2. a POST of 10 MiB
            byte[] upload = new byte[UPLOAD_BYTES];
            new Random(42).nextBytes(upload);
            HttpResponse<String> posted = http.send(get(nginx, "/upload.php")
                            .header("Content-Type", "application/octet-stream")
                            .POST(HttpRequest.BodyPublishers.ofByteArray(upload)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, posted.statusCode(), () -> posted.body() + "\n" + nginx.describe());
            assertEquals(Sha256.hex(upload) + " " + UPLOAD_BYTES, posted.body());
            seen.add(childPid(posted));

            // 3. request headers and cookies in, cookies and a header out
            HttpResponse<String> headers = http.send(get(nginx, "/headers.php")
                            .header("Cookie", "a=1; b=2").header("X-Test", "value").build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, headers.statusCode(), () -> headers.body() + "\n" + nginx.describe());
            assertEquals("{\"a\":\"1\",\"b\":\"2\"} value", headers.body());
            assertEquals(List.of("c=3; Path=/", "d=4; HttpOnly"), headers.headers().allValues("set-cookie"));
            assertEquals(List.of("from php"), headers.headers().allValues("x-php-answer"));
            seen.add(childPid(headers));

            // 4. a 20 MiB answer, streamed
            HttpResponse<InputStream> big = http.send(get(nginx, "/big.php?mb=" + BIG_MIB).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            MessageDigest digest = Sha256.newDigest();
            long received = 0;
            try (InputStream in = big.body()) {
                byte[] buffer = new byte[64 * 1024];
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    digest.update(buffer, 0, n);
                    received += n;
                }
            }
            assertEquals(200, big.statusCode(), nginx::describe);
            assertEquals((long) BIG_MIB << 20, received, "the answer's length");
            assertEquals(bigSha256(BIG_MIB), Sha256.hex(digest), "the answer's content");
            seen.add(childPid(big));

            // 5. every request counted; the children alive while the pool runs, none after it stopped
            assertEquals(4, pool.status().acceptedConn(), pool::toString);
            List<Long> now = pids(pool);
            seen.addAll(now);
            assertFalse(now.isEmpty(), () -> "children after the requests: " + pool.snapshot());
            for (long pid : now) {
                assertTrue(alive(pid), () -> "child " + pid + " is alive: " + pool.snapshot());
            }
            assertEquals(List.of(), errors(nginx), nginx::describe);

            pool.shutdownNow();
            assertTrue(pool.awaitTermination(Duration.ofSeconds(20)), () -> "the pool ends: " + pool.snapshot());
            for (long pid : seen) {
                assertFalse(alive(pid), () -> "child " + pid + " survived the pool (" + pm + "), seen: " + seen);
            }
        }
    }

    @Test
    @DisplayName("kill -9 of a busy child under load through nginx: 502 for its request, 30 others succeed, a new child")
    void killedChildUnderLoad() throws Exception {
        Path root = documentRoot();
        Set<Long> seen = new LinkedHashSet<>();
        try (Stack stack = Stack.start(dir, root, StaticStrategy.of(3))) {
            FcgiPool pool = stack.pool;
            NginxProcess nginx = stack.nginx;
            HttpClient http = stack.http;
            Await.until(WAIT, () -> pool.snapshot().workers().stream().filter(WorkerView::isIdle).count() == 3,
                    () -> "three idle children: " + pool.snapshot());
            List<Long> before = pids(pool);
            seen.addAll(before);

            Path never = dir.resolve("never-released");
            CompletableFuture<HttpResponse<String>> held = http.sendAsync(get(nginx, "/hold.php?f=" + never).build(),
                    HttpResponse.BodyHandlers.ofString());
            Await.until(WAIT, () -> running(pool).size() == 1, () -> "the held request runs: " + pool.snapshot());
            long victim = running(pool).get(0).pid();
            assertTrue(before.contains(victim), () -> victim + " in " + before);

            List<CompletableFuture<HttpResponse<String>>> load = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                load.add(http.sendAsync(get(nginx, "/hello.php?name=load-" + i).build(),
                        HttpResponse.BodyHandlers.ofString()));
            }
            ProcessHandle.of(victim).orElseThrow(() -> new AssertionError("child " + victim + " is gone already"))
                    .destroyForcibly();

            HttpResponse<String> killed = held.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertEquals(502, killed.statusCode(), () -> killed.body() + "\n" + nginx.describe());
            // the pool's FCGI_STDERR says why, and nginx logs it
            Await.until(WAIT, () -> nginx.errorLog().contains("child " + victim + " exited on signal 9 (SIGKILL)"),
                    () -> "nginx logs the child's death\n" + nginx.describe());
            for (int i = 0; i < load.size(); i++) {
                HttpResponse<String> ok = load.get(i).get(WAIT.toSeconds(), TimeUnit.SECONDS);
                int n = i;
                assertEquals(200, ok.statusCode(), () -> "request " + n + ": " + ok.body() + "\n" + nginx.describe());
                Matcher matcher = HELLO_BODY.matcher(ok.body());
                assertTrue(matcher.matches(), ok.body());
                assertEquals("load-" + i, matcher.group(1));
                long pid = Long.parseLong(matcher.group(2));
                assertNotEquals(victim, pid, "the held child took no other request");
                seen.add(pid);
            }

            Await.until(WAIT, () -> {
                List<WorkerView> workers = pool.snapshot().workers();
                return workers.size() == 3 && workers.stream().allMatch(WorkerView::isIdle)
                        && workers.stream().noneMatch(w -> w.pid() == victim);
            }, () -> "a new child replaces " + victim + ": " + pool.snapshot());
            List<Long> after = pids(pool);
            seen.addAll(after);
            assertEquals(2, after.stream().filter(before::contains).count(), () -> before + " -> " + after);
            assertFalse(alive(victim));
            for (long pid : after) {
                assertTrue(alive(pid), () -> "child " + pid + " is alive");
            }
            assertEquals(31, pool.status().acceptedConn());

            String json = pool.statusPage().render(StatusFormat.JSON, true);
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> processes = (List<Map<String, Object>>) MiniJson.parseObject(json)
                    .get("processes");
            List<Long> listed = processes.stream().map(p -> ((Number) p.get("pid")).longValue()).sorted().toList();
            assertEquals(after.stream().sorted().toList(), listed, json);
            assertFalse(listed.contains(victim), json);

            pool.shutdownNow();
            assertTrue(pool.awaitTermination(Duration.ofSeconds(20)), () -> "the pool ends: " + pool.snapshot());
            for (long pid : seen) {
                assertFalse(alive(pid), () -> "child " + pid + " survived the pool, seen: " + seen);
            }
        }
    }

    // ---- the stack: nginx -> FcgiServer -> FcgiPool of php-cgi children

    /** The pool, its server, nginx in front and an HTTP/1.1 client; closed in the reverse order. */
    private static final class Stack implements AutoCloseable {
        final FcgiPool pool;
        final FcgiServer server;
        final NginxProcess nginx;
        final HttpClient http;

        private Stack(FcgiPool pool, FcgiServer server, NginxProcess nginx, HttpClient http) {
            this.pool = pool;
            this.server = server;
            this.nginx = nginx;
            this.http = http;
        }

        static Stack start(Path dir, Path root, PoolStrategy strategy) throws Exception {
            String phpCgi = ExternalTools.require("php-cgi8.2", "php-cgi");
            NginxProcess.Builder nginxBuilder = NginxProcess.builder(dir.resolve("nginx"));
            FcgiPool pool = null;
            FcgiServer server = null;
            NginxProcess nginx = null;
            try {
                pool = FcgiPool.builder("www").strategy(strategy)
                        .workers(ChildProcessWorkers.builder(phpCgi).user(childUser())
                                // above post_max_size (8M by default) PHP warns at request startup, even for a
                                // body read from php://input: "POST Content-Length of 10485760 bytes exceeds..."
                                .phpValue("post_max_size", "32M")
                                .build())
                        .build().start();
                server = FcgiServer.builder().listen("127.0.0.1:0").handler(pool.handler()).dispatcher(pool)
                        .build().start();
                // SCRIPT_FILENAME is $document_root$fastcgi_script_name: the scripts' directory
                nginx = nginxBuilder.upstream(server.localAddress()).locationDirective("root " + root + ";")
                        .start();
                HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                        .connectTimeout(Duration.ofSeconds(10)).build();
                return new Stack(pool, server, nginx, http);
            } catch (Throwable t) {
                closeAll(null, nginx, server, pool);
                throw t;
            }
        }

        @Override
        public void close() throws Exception {
            closeAll(http, nginx, server, pool);
        }

        private static void closeAll(HttpClient http, NginxProcess nginx, FcgiServer server, FcgiPool pool)
                throws Exception {
            try {
                if (http != null) {
                    // close() would wait for a request still held (after a failed assertion): abort it
                    http.shutdownNow();
                    http.awaitTermination(Duration.ofSeconds(10));
                }
            } finally {
                try {
                    if (nginx != null) {
                        nginx.close();
                    }
                } finally {
                    try {
                        if (server != null) {
                            server.close();
                        }
                    } finally {
                        if (pool != null) {
                            pool.shutdownNow();
                            pool.awaitTermination(Duration.ofSeconds(20));
                        }
                    }
                }
            }
        }
    }

    /** The scripts in {@code dir}/www, readable by the children's user. */
    private Path documentRoot() throws IOException {
        Path root = dir.resolve("www");
        Files.createDirectories(root);
        readableByAll(dir);
        readableByAll(root);
        write(root, "hello.php", HELLO);
        write(root, "upload.php", UPLOAD);
        write(root, "headers.php", HEADERS);
        write(root, "big.php", BIG);
        write(root, "hold.php", HOLD);
        return root;
    }

    private static void readableByAll(Path directory) throws IOException {
        Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private static void write(Path root, String name, String text) throws IOException {
        Path file = Files.writeString(root.resolve(name), text, UTF_8);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    }

    /** The user the children run as: nobody when the tests run as root (children never do), else the tests' own. */
    private static String childUser() {
        return isRoot() ? "nobody" : null;
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

    // ---- helpers

    private static HttpRequest.Builder get(NginxProcess nginx, String pathAndQuery) {
        return HttpRequest.newBuilder(nginx.uri(pathAndQuery)).timeout(Duration.ofSeconds(60));
    }

    private static long childPid(HttpResponse<?> response) {
        return Long.parseLong(response.headers().firstValue("X-Child-Pid")
                .orElseThrow(() -> new AssertionError("no X-Child-Pid in " + response.headers().map())));
    }

    /** The pids of the pool's started children now. */
    private static List<Long> pids(FcgiPool pool) {
        return pool.snapshot().workers().stream().map(WorkerView::pid).filter(pid -> pid > 0).toList();
    }

    private static List<WorkerView> running(FcgiPool pool) {
        return pool.snapshot().workers().stream().filter(w -> w.state() == WorkerState.RUNNING).toList();
    }

    private static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    /** What big.php writes for {@code mib} chunks. */
    private static String bigSha256(int mib) {
        MessageDigest digest = Sha256.newDigest();
        for (int i = 0; i < mib; i++) {
            byte[] line = (String.format("%015d", i) + "\n").getBytes(UTF_8);
            byte[] chunk = new byte[1 << 20];
            for (int off = 0; off < chunk.length; off += line.length) {
                System.arraycopy(line, 0, chunk, off, line.length);
            }
            digest.update(chunk);
        }
        return Sha256.hex(digest);
    }

    /** nginx's [error] and worse lines. */
    private static List<String> errors(NginxProcess nginx) {
        return nginx.errorLog().lines().filter(l -> l.matches(".*\\[(error|crit|alert|emerg)].*")).toList();
    }
}
