package dev.fcgi.pool.process;

import dev.fcgi.pool.FcgiPool;
import dev.fcgi.pool.StaticStrategy;
import dev.fcgi.pool.WorkerState;
import dev.fcgi.pool.WorkerView;
import dev.fcgi.protocol.client.FcgiClientRequest;
import dev.fcgi.protocol.client.FcgiClientResponse;
import dev.fcgi.protocol.testing.Await;
import dev.fcgi.protocol.testing.MiniJson;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A pool of php-cgi children behind our own server, called with our client: requests and bodies through the
 * children, their setup (user, env, chdir, php_value), a child killed with SIGKILL, failed starts and their
 * back-off, request_terminate_timeout, and no child left after a stop. Skipped (or failed on CI) without php-cgi.
 */
class ChildProcessWorkersTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;
    private PhpApp app;

    @AfterEach
    void close() throws Exception {
        PhpApp.closeLeavingNoChild(app);
    }

    private ChildProcessWorkers.Builder children() {
        return ChildProcessWorkers.builder(app.phpCgi).user(PhpApp.childUser());
    }

    @Test
    @DisplayName("GET, POST with a body, cookies and headers, a 4 MiB answer: each through a php-cgi child")
    void servesPhpThroughChildren() throws Exception {
        app = PhpApp.create(dir);
        app.serve(FcgiPool.builder("www").strategy(StaticStrategy.of(2)).workers(children().build()));
        assertEquals(2, app.pids().size());

        try (FcgiClientResponse hello = app.send(app.get("hello.php", "name=child"))) {
            assertEquals(200, hello.status());
            assertEquals("hello child", hello.bodyAsString());
            assertTrue(app.pids().contains(Long.parseLong(hello.header("X-Child-Pid"))), "the pid is a pool child");
        }

        byte[] body = new byte[3 * 1024 * 1024 + 17];
        new Random(7).nextBytes(body);
        FcgiClientRequest post = FcgiClientRequest.builder().cgi("POST", app.root.resolve("echo.php").toString(), "")
                .param("CONTENT_TYPE", "application/octet-stream").param("HTTP_COOKIE", "c=3; d=4")
                .param("HTTP_X_TEST", "header-value").param("REDIRECT_STATUS", "200").body(body).build();
        try (FcgiClientResponse echo = app.send(post)) {
            assertEquals(200, echo.status());
            assertEquals(sha256(body) + " " + body.length + " {\"c\":\"3\",\"d\":\"4\"} header-value",
                    echo.bodyAsString());
            assertEquals(List.of("a=1", "b=2"), echo.headers("Set-Cookie"));
        }

        try (FcgiClientResponse big = app.send(app.get("big.php", "mb=4"))) {
            assertEquals(4 << 20, big.bodyAsBytes().length);
        }

        // FPM's security.limit_extensions default applies to a pool of php-cgi children
        try (FcgiClientResponse denied = app.send(app.get("plain.txt", ""))) {
            assertEquals(403, denied.status());
            assertEquals("Access denied.\n", denied.bodyAsString());
        }
        // limit_extensions on the file PHP's fix_pathinfo walk would run: an upload with PHP inside is refused
        Files.writeString(app.root.resolve("upload.jpg"), "<?php echo 'pwned';");
        try (FcgiClientResponse evil = app.send(app.get("upload.jpg/x.php", ""))) {
            assertEquals(403, evil.status(), evil::toString);
            assertFalse(evil.bodyAsString().contains("pwned"));
        }
        assertEquals(5, app.pool.status().acceptedConn());
    }

    @Test
    @DisplayName("Socket.TCP: children listen on a loopback port instead of a Unix socket")
    void loopbackTcpChildren() throws Exception {
        app = PhpApp.create(dir);
        app.serve(FcgiPool.builder("www").strategy(StaticStrategy.of(1))
                .workers(children().socket(ChildProcessWorkers.Socket.TCP).build()));
        try (FcgiClientResponse hello = app.send(app.get("hello.php", "name=tcp"))) {
            assertEquals("hello tcp", hello.bodyAsString());
        }
        long pid = app.pids().get(0);
        String listening = Files.readString(Path.of("/proc/" + pid + "/net/tcp"));
        assertTrue(listening.contains("0100007F:"), "the child listens on 127.0.0.1");
    }

    @Test
    @DisplayName("env[], clear_env, chdir, php_value, user, rlimit_files, rlimit_core and process.priority reach the child")
    void childSetup() throws Exception {
        app = PhpApp.create(dir);
        ChildProcessWorkers.Builder workers = children().env("FOO", "bar").chdir(app.root)
                .phpValue("memory_limit", "77M").rlimitFiles(321).rlimitCore(0).processPriority(7);
        app.serve(FcgiPool.builder("www").strategy(StaticStrategy.of(1)).workers(workers.build()));
        Map<String, Object> seen;
        try (FcgiClientResponse env = app.send(app.get("env.php", ""))) {
            assertEquals(200, env.status(), env::toString);
            seen = MiniJson.parseObject(env.bodyAsString());
        }
        assertEquals("bar", seen.get("foo"));
        assertEquals(Boolean.FALSE, seen.get("home"), "clear_env: the host's HOME is not passed on");
        assertEquals(app.root.toString(), seen.get("cwd"));
        assertEquals("77M", seen.get("memory_limit"));
        assertEquals("0", seen.get("fcgi_children"), "php-cgi must not fork children of its own");
        long pid = ((Number) seen.get("pid")).longValue();
        String limits = Files.readString(Path.of("/proc/" + pid + "/limits"));
        assertTrue(limits.lines().anyMatch(l -> l.matches("Max open files\\s+321\\s+321\\s+files\\s*")), limits);
        assertTrue(limits.lines().anyMatch(l -> l.matches("Max core file size\\s+0\\s+0\\s+bytes\\s*")), limits);
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        assertEquals("7", fields[16], "process.priority: the child's nice value");
        if (SystemTools.isRoot()) {
            String status = Files.readString(Path.of("/proc/" + pid + "/status"));
            String uid = status.lines().filter(l -> l.startsWith("Uid:")).findFirst().orElseThrow();
            assertTrue(uid.matches("Uid:\\s+65534\\s+65534\\s+65534\\s+65534"), "the child runs as nobody: " + uid);
        }
    }

    @Test
    @DisplayName("a pool's PoolConfig gives the children its FPM directives")
    void childSetupFromPoolConfig() throws Exception {
        app = PhpApp.create(dir);
        dev.fcgi.pool.PoolConfig.Builder config = dev.fcgi.pool.PoolConfig.builder("www").listen("127.0.0.1:9000")
                .pm("static").maxChildren(1).env("FOO", "from-config").chdir(app.root.toString())
                .phpValue("memory_limit", "99M").clearEnv(false);
        if (PhpApp.childUser() != null) {
            config.user(PhpApp.childUser());
        }
        app.serve(FcgiPool.builder("www").config(config.build())
                .workers(ChildProcessWorkers.builder(app.phpCgi).config(config.build()).build()));
        try (FcgiClientResponse env = app.send(app.get("env.php", ""))) {
            Map<String, Object> seen = MiniJson.parseObject(env.bodyAsString());
            assertEquals("from-config", seen.get("foo"));
            assertEquals(System.getenv("HOME") == null ? Boolean.FALSE : System.getenv("HOME"), seen.get("home"),
                    "clear_env = no: the host's environment is passed on");
            assertEquals(app.root.toString(), seen.get("cwd"));
            assertEquals("99M", seen.get("memory_limit"));
        }
    }

    @Test
    @DisplayName("a root host must name a user, never root; a missing tool or chdir is a clear error")
    void configurationErrors() throws Exception {
        app = PhpApp.create(dir);
        if (SystemTools.isRoot()) {
            IllegalStateException none = assertThrows(IllegalStateException.class,
                    () -> ChildProcessWorkers.builder(app.phpCgi).build());
            assertTrue(none.getMessage().contains("user has not been defined"), none.getMessage());
            // root by name, by number, or as the group of an unprivileged user
            for (String[] userAndGroup : new String[][] {{"root", null}, {"0", "nogroup"}, {"nobody", "root"},
                    {"nobody", "0"}}) {
                IllegalStateException root = assertThrows(IllegalStateException.class,
                        () -> ChildProcessWorkers.builder(app.phpCgi).user(userAndGroup[0]).group(userAndGroup[1])
                                .build(), () -> String.join(":", userAndGroup));
                assertTrue(root.getMessage().contains("please specify user and group other than root"),
                        root.getMessage());
            }
            IllegalStateException unknown = assertThrows(IllegalStateException.class,
                    () -> ChildProcessWorkers.builder(app.phpCgi).user("no-such-user-here").build());
            assertTrue(unknown.getMessage().contains("cannot get uid for user 'no-such-user-here'"),
                    unknown.getMessage());
        }
        IllegalStateException chdir = assertThrows(IllegalStateException.class,
                () -> children().chdir(dir.resolve("missing")).build());
        assertTrue(chdir.getMessage().contains("does not exist or is not a directory"), chdir.getMessage());
        IllegalArgumentException socket = assertThrows(IllegalArgumentException.class,
                () -> ChildProcessWorkers.builder("/usr/bin/env", "app"));
        assertTrue(socket.getMessage().contains("{socket}"), socket.getMessage());
    }

    @Test
    @DisplayName("kill -9 of a child under load: its request gets a 502, all others succeed, the child is replaced")
    void killedChildIsReplaced() throws Exception {
        app = PhpApp.create(dir);
        app.serve(FcgiPool.builder("www").strategy(StaticStrategy.of(3)).workers(children().build()));
        Path release = dir.resolve("release");
        CompletableFuture<FcgiClientResponse> held = app.client.send(app.get("hold.php", "f=" + release));
        Await.until(WAIT, () -> running(app).size() == 1, () -> "the held request runs: " + app.pool.snapshot());
        long victim = running(app).get(0).pid();
        List<Long> before = app.pids();

        // load on the other two children while the victim dies
        List<CompletableFuture<FcgiClientResponse>> load = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            load.add(app.client.send(app.get("hello.php", "name=" + i)));
        }
        ProcessHandle.of(victim).orElseThrow().destroyForcibly();
        try (FcgiClientResponse killed = held.get(WAIT.toSeconds(), TimeUnit.SECONDS)) {
            assertEquals(502, killed.status(), killed::toString);
            assertTrue(killed.stderr().contains("exited on signal 9 (SIGKILL)"), killed.stderr());
        }
        for (int i = 0; i < load.size(); i++) {
            try (FcgiClientResponse ok = load.get(i).get(WAIT.toSeconds(), TimeUnit.SECONDS)) {
                assertEquals(200, ok.status());
                assertEquals("hello " + i, ok.bodyAsString());
            }
        }
        Await.until(WAIT, () -> app.pids().size() == 3 && !app.pids().contains(victim)
                        && app.pool.snapshot().workers().stream().allMatch(WorkerView::isIdle),
                () -> "a new child replaces " + victim + ": " + app.pool.snapshot());
        assertTrue(app.events.contains("exited failure on signal 9 (SIGKILL)"), app.events::toString);
        assertEquals(4, app.count("started"), app.events::toString);
        assertEquals(41, app.pool.status().acceptedConn());
        String status = app.pool.statusPage().render(dev.fcgi.pool.status.StatusFormat.JSON, true);
        for (long pid : app.pids()) {
            assertTrue(status.contains("\"pid\":" + pid), status);
        }
        assertFalse(status.contains("\"pid\":" + victim), status);
        assertTrue(before.contains(victim));
    }

    private static List<WorkerView> running(PhpApp app) {
        return app.pool.snapshot().workers().stream().filter(w -> w.state() == WorkerState.RUNNING).toList();
    }

    @Test
    @DisplayName("a request the web server aborts: its child, maybe still running the script, is replaced")
    void abortedRequestRetiresItsChild() throws Exception {
        app = PhpApp.create(dir);
        app.serve(FcgiPool.builder("www").strategy(StaticStrategy.of(1))
                .workers(children().stopGrace(Duration.ofMillis(300)).build()));
        CompletableFuture<FcgiClientResponse> held = app.client.send(app.get("hold.php", "f=" + dir.resolve("x")));
        Await.until(WAIT, () -> running(app).size() == 1, () -> "the held request runs: " + app.pool.snapshot());
        long busy = running(app).get(0).pid();
        held.cancel(true);          // our client aborts the request, as nginx does when its client goes away
        Await.until(WAIT, () -> app.pids().size() == 1 && !app.pids().contains(busy)
                        && app.pool.snapshot().workers().get(0).isIdle(),
                () -> "a fresh child replaces " + busy + ", which still ran the aborted script: " + app.pool.snapshot());
        try (FcgiClientResponse next = app.send(app.get("hello.php", "name=after"))) {
            assertEquals("hello after", next.bodyAsString());
        }
        assertTrue(app.events.stream().noneMatch(e -> e.startsWith("exited failure")), app.events::toString);
    }

    @Test
    @DisplayName("a missing binary: a clear error, and retries that back off (100 ms, 200 ms, 400 ms...)")
    void missingBinaryBacksOff() throws Exception {
        app = PhpApp.create(dir);
        Path missing = dir.resolve("php-cgi-missing");
        long startNanos = System.nanoTime();
        app.serve(FcgiPool.builder("www").strategy(StaticStrategy.of(1))
                .workers(ChildProcessWorkers.builder(missing.toString()).user(PhpApp.childUser()).build()));
        Await.until(WAIT, () -> app.count("start failed") >= 4, () -> "four failed starts: " + app.events);
        long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
        assertTrue(elapsedMillis >= 100 + 200 + 400, "the 4th attempt comes after 700 ms of back-off, not "
                + elapsedMillis + " ms");
        assertTrue(app.events.get(0).contains("the command '" + missing + "' is not an executable file"),
                app.events::toString);
        assertEquals(0, app.count("started"));
    }

    @Test
    @DisplayName("a command that exits at once: its exit code and stderr in the error, and a bounded retry rate")
    void exitingCommandBacksOff() throws Exception {
        app = PhpApp.create(dir);
        long startNanos = System.nanoTime();
        app.serve(FcgiPool.builder("www").strategy(StaticStrategy.of(1)).workers(ChildProcessWorkers
                .builder("/bin/sh", "-c", "echo 'cannot open {socket}: no luck' >&2; exit 3")
                .user(PhpApp.childUser()).build()));
        Await.until(WAIT, () -> app.count("start failed") >= 4, () -> "four failed starts: " + app.events);
        long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
        assertTrue(elapsedMillis >= 700, "back-off between attempts: " + elapsedMillis + " ms");
        String first = app.events.get(0);
        assertTrue(first.matches("start failed: child \\d+ exited with code 3 before it accepted connections on "
                + ".*w1\\.sock; it said: cannot open .*w1\\.sock: no luck"), first);
    }

    @Test
    @DisplayName("request_terminate_timeout: 504 for the web server, SIGTERM then SIGKILL for the busy php-cgi")
    void terminateTimeoutKillsTheChild() throws Exception {
        app = PhpApp.create(dir);
        app.serve(FcgiPool.builder("www").strategy(StaticStrategy.of(1))
                .requestTerminateTimeout(Duration.ofSeconds(1)).requestTerminateGrace(Duration.ofMillis(500))
                .workers(children().stopGrace(Duration.ofMillis(500)).build()));
        long first = app.pids().get(0);
        try (FcgiClientResponse stuck = app.send(app.get("hold.php", "f=" + dir.resolve("never")))) {
            assertEquals(504, stuck.status());
        }
        // php-cgi ignores SIGTERM while a script runs: only SIGKILL ends it
        Await.until(WAIT, () -> ProcessHandle.of(first).map(h -> !h.isAlive()).orElse(true),
                () -> "child " + first + " is stopped");
        Await.until(WAIT, () -> app.pids().size() == 1 && !app.pids().contains(first),
                () -> "a new child: " + app.pool.snapshot());
        try (FcgiClientResponse next = app.send(app.get("hello.php", "name=next"))) {
            assertEquals("hello next", next.bodyAsString());
        }
    }

    @Test
    @DisplayName("shutdownNow: no child survives; shutdownGracefully: the running request finishes first")
    void noChildSurvivesShutdown() throws Exception {
        app = PhpApp.create(dir);
        app.serve(FcgiPool.builder("www").strategy(StaticStrategy.of(3)).workers(children().build()));
        Path release = dir.resolve("release");
        CompletableFuture<FcgiClientResponse> held = app.client.send(app.get("hold.php", "f=" + release));
        Await.until(WAIT, () -> running(app).size() == 1, () -> "the held request runs: " + app.pool.snapshot());
        List<Long> pids = app.pids();
        Thread stopper = Thread.ofPlatform().start(() -> {
            try {
                app.pool.shutdownGracefully(Duration.ofSeconds(30));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        // the graceful stop waits for the held request; idle children may already leave
        Await.until(WAIT, () -> app.pool.snapshot().workers().size() == 1, () -> "idle children leave: "
                + app.pool.snapshot());
        Files.writeString(release, "go");
        try (FcgiClientResponse done = held.get(WAIT.toSeconds(), TimeUnit.SECONDS)) {
            assertEquals(200, done.status());
            assertTrue(done.bodyAsString().startsWith("released "));
        }
        stopper.join(WAIT.toMillis());
        assertFalse(stopper.isAlive());
        for (long pid : pids) {
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "child " + pid + " is gone");
        }
    }

    @Test
    @DisplayName("shutdownNow with a busy child: it is killed, and awaitTermination sees every child gone")
    void shutdownNowStopsBusyChildren() throws Exception {
        app = PhpApp.create(dir);
        app.serve(FcgiPool.builder("www").strategy(StaticStrategy.of(2))
                .workers(children().stopGrace(Duration.ofMillis(300)).build()));
        CompletableFuture<FcgiClientResponse> held = app.client.send(app.get("hold.php", "f=" + dir.resolve("x")));
        Await.until(WAIT, () -> running(app).size() == 1, () -> "the held request runs: " + app.pool.snapshot());
        List<Long> pids = app.pids();
        app.pool.shutdownNow();
        assertTrue(app.pool.awaitTermination(WAIT));
        for (long pid : pids) {
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "child " + pid + " is gone");
        }
        try (FcgiClientResponse stopped = held.get(WAIT.toSeconds(), TimeUnit.SECONDS)) {
            assertNotEquals(200, stopped.status());
        } catch (java.util.concurrent.ExecutionException e) {
            // the answer was cut short: also an error answer, never a hang
        }
    }

    @Test
    @DisplayName("FcgiPoolManager: a reload replaces the children, graceful shutdown leaves none")
    void managerReloadsChildren() throws Exception {
        app = PhpApp.create(dir);
        int port = dev.fcgi.protocol.testing.FreePorts.find();
        ChildProcessWorkers workers = children().build();
        java.util.function.IntFunction<dev.fcgi.pool.PoolDefinition> shape = n -> new dev.fcgi.pool.PoolDefinition(
                dev.fcgi.pool.PoolConfig.builder("www").listen("127.0.0.1:" + port).pm("static").maxChildren(n)
                        .build(), workers);
        try (dev.fcgi.pool.FcgiPoolManager manager = dev.fcgi.pool.FcgiPoolManager.builder().build()
                .start(List.of(shape.apply(2)));
             dev.fcgi.protocol.client.FcgiClient client = dev.fcgi.protocol.client.FcgiClient.builder()
                     .address(new java.net.InetSocketAddress("127.0.0.1", port)).build()) {
            List<Long> first = manager.pool("www").snapshot().workers().stream().map(WorkerView::pid).toList();
            try (FcgiClientResponse r = client.send(app.get("hello.php", "name=a")).get(30, TimeUnit.SECONDS)) {
                assertEquals("hello a", r.bodyAsString());
            }
            manager.reload(List.of(shape.apply(3)));
            List<Long> second = manager.pool("www").snapshot().workers().stream().map(WorkerView::pid).toList();
            assertEquals(3, second.size());
            try (FcgiClientResponse r = client.send(app.get("hello.php", "name=b")).get(30, TimeUnit.SECONDS)) {
                assertEquals("hello b", r.bodyAsString());
                assertTrue(second.contains(Long.parseLong(r.header("X-Child-Pid"))), "the new generation answers");
            }
            Await.until(WAIT, () -> first.stream().noneMatch(ChildProcessWorkersTest::alive),
                    () -> "the old generation " + first + " exits after the reload");
            manager.shutdownGracefully(WAIT);
            for (long pid : second) {
                assertFalse(alive(pid), "child " + pid + " exited by the time shutdownGracefully returned");
            }
        }
    }

    private static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    @Test
    @DisplayName("catch_workers_output: a child's stderr lines in FPM's decorated form")
    void workerOutputIsDecorated() throws Exception {
        List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();
        ChildOutput out = ChildOutput.read("www", 1234, "stderr",
                new java.io.ByteArrayInputStream("first line\nsecond\npartial".getBytes(UTF_8)), lines::add, true);
        out.tail(10_000);
        assertEquals(List.of("[pool www] child 1234 said into stderr: \"first line\"",
                "[pool www] child 1234 said into stderr: \"second\"",
                "[pool www] child 1234 said into stderr: \"partial\", pipe is closed"), lines);
        List<String> raw = new java.util.concurrent.CopyOnWriteArrayList<>();
        ChildOutput.read("www", 1, "stdout", new java.io.ByteArrayInputStream("x".repeat(2500).getBytes(UTF_8)),
                raw::add, false).tail(10_000);
        assertEquals(List.of("x".repeat(1024), "x".repeat(1024), "x".repeat(452)), raw, "lines split at 1024");
    }

    @Test
    @DisplayName("exit descriptions in FPM's words")
    void exitDescriptions() {
        assertEquals("with code 0", ChildExit.describe(0));
        assertEquals("with code 3", ChildExit.describe(3));
        assertEquals("on signal 9 (SIGKILL)", ChildExit.describe(137));
        assertEquals("on signal 11 (SIGSEGV)", ChildExit.describe(139));
        assertFalse(ChildExit.isFailure(0));
        assertFalse(ChildExit.isFailure(128 + 15));
        assertTrue(ChildExit.isFailure(137));
        assertTrue(ChildExit.isFailure(1));
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
