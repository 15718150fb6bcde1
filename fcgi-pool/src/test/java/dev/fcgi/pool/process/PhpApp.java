package dev.fcgi.pool.process;

import dev.fcgi.pool.FcgiPool;
import dev.fcgi.pool.PoolListener;
import dev.fcgi.protocol.client.FcgiClient;
import dev.fcgi.protocol.client.FcgiClientRequest;
import dev.fcgi.protocol.client.FcgiClientResponse;
import dev.fcgi.protocol.server.FcgiServer;
import dev.fcgi.protocol.testing.Await;
import dev.fcgi.protocol.testing.ExternalTools;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * The PHP scripts the child-process tests run, in a document root that any user can read (children run as
 * {@code nobody} when the tests run as root), and the plumbing around a pool of php-cgi children: an
 * {@link FcgiServer} in front of it and an {@link FcgiClient} to call it.
 */
final class PhpApp implements AutoCloseable {

    /** Answers {@code hello <name>} with the child's pid in {@code X-Child-Pid}. */
    static final String HELLO = """
            <?php
            header('X-Child-Pid: ' . getmypid());
            echo 'hello ' . ($_GET['name'] ?? 'world');
            """;
    /** Echoes the body's SHA-256 and length, the cookies and a request header; sets two cookies. */
    static final String ECHO = """
            <?php
            header('X-Child-Pid: ' . getmypid());
            header('Set-Cookie: a=1');
            header('Set-Cookie: b=2', false);
            $body = file_get_contents('php://input');
            echo hash('sha256', $body), ' ', strlen($body), ' ', json_encode($_COOKIE), ' ',
                $_SERVER['HTTP_X_TEST'] ?? '-';
            """;
    /** {@code mb} MiB of 'x'. */
    static final String BIG = """
            <?php
            $chunk = str_repeat('x', 1 << 20);
            for ($i = 0; $i < (int) $_GET['mb']; $i++) { echo $chunk; }
            """;
    /** Holds its child until the file {@code f} exists (the test's release), then answers. */
    static final String HOLD = """
            <?php
            header('X-Child-Pid: ' . getmypid());
            while (!file_exists($_GET['f'])) { usleep(5000); }
            echo 'released ' . getmypid();
            """;
    /** What the child sees of its setup. */
    static final String ENV = """
            <?php
            header('Content-Type: application/json');
            echo json_encode(['pid' => getmypid(), 'foo' => getenv('FOO'), 'home' => getenv('HOME'),
                'cwd' => getcwd(), 'memory_limit' => ini_get('memory_limit'),
                'fcgi_children' => getenv('PHP_FCGI_CHILDREN')]);
            """;
    /** Writes a line to the child's own stderr (not FCGI_STDERR) and to its stdout stream. */
    static final String NOISY = """
            <?php
            file_put_contents('php://stderr', "noise on stderr\\n");
            error_log('to the web server');
            echo 'ok';
            """;

    final Path root;
    final String phpCgi;
    final List<String> events = new CopyOnWriteArrayList<>();
    FcgiPool pool;
    FcgiServer server;
    FcgiClient client;

    private PhpApp(Path root, String phpCgi) {
        this.root = root;
        this.phpCgi = phpCgi;
    }

    /** Writes the scripts into {@code dir}/www; skips the test when php-cgi is missing. */
    static PhpApp create(Path dir) throws IOException {
        String phpCgi = ExternalTools.require("php-cgi8.2", "php-cgi");
        Path root = dir.resolve("www");
        Files.createDirectories(root);
        readableByAll(dir);
        readableByAll(root);
        write(root, "hello.php", HELLO);
        write(root, "echo.php", ECHO);
        write(root, "big.php", BIG);
        write(root, "hold.php", HOLD);
        write(root, "env.php", ENV);
        write(root, "noisy.php", NOISY);
        write(root, "plain.txt", "not a script");
        return new PhpApp(root, phpCgi);
    }

    private static void write(Path root, String name, String text) throws IOException {
        Path file = Files.writeString(root.resolve(name), text);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    }

    static void readableByAll(Path dir) throws IOException {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    /** A user the children may run as: nobody when the tests run as root (children never do), else none. */
    static String childUser() {
        return SystemTools.isRoot() ? "nobody" : null;
    }

    /** Serves {@code pool} (started here) on a loopback server, with a client in front. */
    PhpApp serve(FcgiPool.Builder builder) throws Exception {
        pool = builder.listener(recorder()).build().start();
        server = FcgiServer.builder().listen("127.0.0.1:0").handler(pool.handler()).dispatcher(pool).build().start();
        client = FcgiClient.builder().address(server.localAddress()).maxConnections(32).build();
        return this;
    }

    private PoolListener recorder() {
        return new PoolListener() {
            @Override
            public void workerStarted(String pool, long workerId, long pid) {
                events.add("started " + pid);
            }

            @Override
            public void workerStartFailed(String pool, long workerId, Throwable cause) {
                events.add("start failed: " + cause.getMessage());
            }

            @Override
            public void workerExited(String pool, long workerId, String description, boolean failure) {
                events.add("exited " + (failure ? "failure " : "") + description);
            }
        };
    }

    long count(String prefix) {
        return events.stream().filter(e -> e.startsWith(prefix)).count();
    }

    /** A GET of {@code script} with {@code query}, as nginx would send it. */
    FcgiClientRequest get(String script, String query) {
        return FcgiClientRequest.builder().cgi("GET", root.resolve(script).toString(), query)
                .param("SCRIPT_NAME", "/" + script).param("REQUEST_URI", "/" + script + "?" + query)
                .param("REDIRECT_STATUS", "200").build();
    }

    FcgiClientResponse send(FcgiClientRequest request) throws Exception {
        return client.send(request).get(60, TimeUnit.SECONDS);
    }

    /** The pids of the pool's children now. */
    List<Long> pids() {
        return pool.snapshot().workers().stream().map(w -> w.pid()).toList();
    }

    /** Closes {@code app} (when there is one) and checks that no child of its pool, nor of this JVM, still runs. */
    static void closeLeavingNoChild(PhpApp app) throws Exception {
        if (app != null) {
            List<Long> pids = app.pool == null ? List.of() : app.pids();
            app.close();
            for (long pid : pids) {
                assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false),
                        "child " + pid + " survived the test's pool");
            }
        }
        Await.until(Duration.ofSeconds(30), () -> ChildReaper.liveCount() == 0,
                () -> ChildReaper.liveCount() + " children of this JVM still run after the test");
    }

    @Override
    public void close() throws Exception {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
        if (pool != null) {
            pool.shutdownNow();
            pool.awaitTermination(Duration.ofSeconds(20));
        }
    }
}
