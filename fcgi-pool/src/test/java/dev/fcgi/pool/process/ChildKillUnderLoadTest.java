package dev.fcgi.pool.process;

import dev.fcgi.pool.FcgiPool;
import dev.fcgi.pool.PoolShape;
import dev.fcgi.pool.PoolStatus;
import dev.fcgi.pool.WorkerState;
import dev.fcgi.pool.WorkerView;
import dev.fcgi.protocol.client.FcgiClient;
import dev.fcgi.protocol.client.FcgiClientResponse;
import dev.fcgi.protocol.client.Multiplexing;
import dev.fcgi.protocol.testing.Await;
import dev.fcgi.protocol.testing.ClientLoad;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * php-cgi children killed with SIGKILL, one after another, while six clients keep calling them (small answers, and
 * one in ten of 1 MiB): a busy child when there is one, else an idle one, always a child this JVM started, taken
 * from the pool's scoreboard. Every request gets either its answer or the documented reaction to its child's death
 * (502, with the child's exit in FCGI_STDERR; a response cut short once the answer had begun), at most one per
 * kill; each killed child is replaced; afterwards the pool is back to its shape and the counters add up. Skipped
 * (or failed on CI) without php-cgi.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ChildKillUnderLoadTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final int CLIENTS = 6;
    private static final int KILLS = 5;
    private static final int STEP = 30;         // answers of the load between two kills
    private static final Pattern KILLED_CHILD =
            Pattern.compile("FastCGI child (\\d+) exited on signal 9 \\(SIGKILL\\) while it served this request");

    @TempDir
    Path dir;
    private PhpApp app;
    private FcgiClient client;

    @AfterEach
    void close() throws Exception {
        if (client != null) {
            client.close();
        }
        PhpApp.closeLeavingNoChild(app);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(PoolShape.class)
    @DisplayName("SIGKILL of a child, five times under load: answers or 502s, children replaced, counters add up")
    void childrenKilledUnderLoad(PoolShape shape) throws Exception {
        app = PhpApp.create(dir);
        AtomicLong now = new AtomicLong();
        app.serve(FcgiPool.builder("www").strategy(shape.strategy()).ticker(now::get)
                .heartbeat(Duration.ofHours(1))
                .workers(ChildProcessWorkers.builder(app.phpCgi).user(PhpApp.childUser()).build()));
        Set<Long> killed = ConcurrentHashMap.newKeySet();
        AtomicInteger badGateway = new AtomicInteger();
        AtomicInteger cutShort = new AtomicInteger();
        // one request per connection, as nginx sends them: a response cut short closes its connection, and a
        // multiplexing client would meanwhile have sent other requests there, which the closing connection refuses
        client = FcgiClient.builder().address(app.server.localAddress()).maxConnections(2 * CLIENTS)
                .multiplexing(Multiplexing.OFF).build();
        ClientLoad load = new ClientLoad(CLIENTS, 2_000, Duration.ofSeconds(100), id -> {
            boolean big = id.endsWith("3");         // one call in ten: a 1 MiB answer, which a kill may cut short
            try (FcgiClientResponse response = client.send(big ? app.get("big.php", "mb=1")
                    : app.get("hello.php", "name=" + id)).get(ClientLoad.CALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                String body;
                try {
                    body = response.bodyAsString();
                } catch (IOException e) {
                    cutShort.incrementAndGet();     // the answer had begun when its child died
                    return null;
                }
                String expected = big ? "x".repeat(1 << 20) : "hello " + id;
                if (response.status() == 200 && body.equals(expected)) {
                    return null;
                }
                Matcher child = KILLED_CHILD.matcher(response.stderr());
                if (response.status() == 502 && child.find() && killed.contains(Long.parseLong(child.group(1)))) {
                    badGateway.incrementAndGet();
                    return null;
                }
                return response.status() + " '" + (body.length() > 100 ? body.substring(0, 100) + "..." : body)
                        + "' (" + body.length() + " chars), stderr '" + response.stderr() + "'";
            }
        }).start();
        load.awaitAnswered(0, STEP, WAIT);
        int busyVictims = 0;
        for (int kill = 0; kill < KILLS; kill++) {
            WorkerView victim = victim(app.pool).orElseThrow(() -> new AssertionError("no child to kill: "
                    + app.pool.snapshot()));
            long pid = victim.pid();
            busyVictims += victim.state() == WorkerState.RUNNING ? 1 : 0;
            killed.add(pid);
            assertTrue(ProcessHandle.of(pid).orElseThrow().destroyForcibly(), "SIGKILL sent to " + pid);
            Await.until(WAIT, () -> !app.pids().contains(pid), () -> "child " + pid + " left the scoreboard: "
                    + app.pool.snapshot());
            load.awaitAnswered(load.answered(), STEP, WAIT);
        }
        load.stop();

        shape.settle(app.pool, now);
        PoolStatus status = app.pool.status();
        System.out.printf("ChildKillUnderLoadTest[%s]: %d kills (%d of a busy child); %d requests: %d answered, %d "
                        + "502, %d cut short; %s%n", shape, KILLS, busyVictims, load.sent(),
                load.sent() - badGateway.get() - cutShort.get(), badGateway.get(), cutShort.get(), status);
        assertEquals(load.sent(), status.acceptedConn(), () -> "accepted conn: " + status + "; " + load);
        assertTrue(badGateway.get() + cutShort.get() <= KILLS, "at most one failed request per kill");
        assertEquals(KILLS, app.count("exited failure on signal 9 (SIGKILL)"), app.events::toString);
        if (shape == PoolShape.STATIC) {
            assertEquals(4 + KILLS, app.count("started"), () -> "each killed child was replaced: " + app.events);
        }
        for (long pid : app.pids()) {
            assertFalse(killed.contains(pid), "a killed child is still on the scoreboard: " + pid);
            assertTrue(isOurChild(pid), "child " + pid + " runs");
        }
        Await.until(WAIT, () -> app.server.activeRequestCount() == 0,
                () -> "no request in progress on the server: " + app.server.activeRequestCount());
    }

    /** A busy child of this JVM if there is one, else an idle one; never a worker that is still starting. */
    private static Optional<WorkerView> victim(FcgiPool pool) {
        return pool.snapshot().workers().stream()
                .filter(w -> w.state() == WorkerState.RUNNING || w.state() == WorkerState.IDLE)
                .filter(w -> isOurChild(w.pid()))
                .min(Comparator.comparingInt(w -> w.state() == WorkerState.RUNNING ? 0 : 1));
    }

    /** Whether {@code pid} is a live php-cgi process whose parent is this JVM. */
    private static boolean isOurChild(long pid) {
        Optional<ProcessHandle> process = ProcessHandle.of(pid);
        return process.isPresent() && process.get().isAlive()
                && process.get().parent().map(ProcessHandle::pid).orElse(-1L) == ProcessHandle.current().pid()
                && process.get().info().command().map(c -> c.contains("php-cgi")).orElse(false);
    }
}
