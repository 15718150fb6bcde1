package dev.fcgi.pool;

import dev.fcgi.protocol.server.FcgiHandler;
import dev.fcgi.protocol.testing.FreePorts;
import dev.fcgi.protocol.testing.RawFcgiConnection;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.*;

class FcgiPoolManagerTest {

    private static final FcgiHandler HELLO = (request, response) -> response.body().write("hello".getBytes(UTF_8));

    private static PoolDefinition staticPool(String name, int port, int children) {
        return new PoolDefinition(PoolConfig.builder(name).listen("127.0.0.1:" + port).pm("static")
                .maxChildren(children).build(), () -> HELLO);
    }

    @Test
    @DisplayName("process.max caps the workers of all pools together")
    void processMaxAcrossPools() throws Exception {
        try (FcgiPoolManager manager = FcgiPoolManager.builder().processMax(3).build()
                .start(List.of(staticPool("a", FreePorts.find(), 2), staticPool("b", FreePorts.find(), 2)))) {
            assertEquals(2, manager.pool("a").status().totalProcesses());
            assertEquals(1, manager.pool("b").status().totalProcesses(), "the third worker spends the budget");
            assertEquals(3, manager.processBudget().used());
        }
        assertEquals("process_max can't be negative", assertThrows(IllegalArgumentException.class,
                () -> FcgiPoolManager.builder().processMax(-1)).getMessage());
    }

    @Test
    @DisplayName("20 reloads under continuous load: no request dropped or refused, the socket stays open")
    void reloadUnderLoad() throws Exception {
        int port = FreePorts.find();
        try (FcgiPoolManager manager = FcgiPoolManager.builder().build()
                .start(List.of(staticPool("www", port, 2)))) {
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger answered = new AtomicInteger();
            AtomicReference<String> failure = new AtomicReference<>();
            Thread client = Thread.ofPlatform().start(() -> {
                long deadline = System.nanoTime() + 60_000_000_000L;
                try (RawFcgiConnection conn = RawFcgiConnection.connect(new InetSocketAddress("127.0.0.1", port))) {
                    for (int i = 0; i < 1_000_000 && !stop.get() && System.nanoTime() < deadline; i++) {
                        conn.request(1, true, Map.of(), new byte[0]);
                        RawFcgiConnection.Response response = conn.readResponse(1);
                        if (response.end().protocolStatus() != 0 || !response.body().equals("hello")) {
                            failure.compareAndSet(null, "request " + i + ": protocol status "
                                    + response.end().protocolStatus() + ", body '" + response.body() + "'");
                            return;
                        }
                        answered.incrementAndGet();
                    }
                } catch (Exception e) {
                    failure.compareAndSet(null, e.toString());
                }
            });
            FcgiPool first = manager.pool("www");
            for (int reload = 0; reload < 20; reload++) {
                int before = answered.get();
                manager.reload(List.of(staticPool("www", port, 2 + reload % 2)));
                long deadline = System.nanoTime() + 20_000_000_000L;
                while (answered.get() < before + 5 && failure.get() == null && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                }
            }
            stop.set(true);
            client.join(30_000);
            assertNull(failure.get());
            assertTrue(answered.get() >= 100, "answered: " + answered.get());
            assertNotSame(first, manager.pool("www"), "a new pool serves after the reloads");
        }
    }

    @Test
    @DisplayName("emergency_restart_threshold: N worker failures within the interval reload every pool")
    void emergencyRestart() throws Exception {
        int port = FreePorts.find();
        List<String> exits = new java.util.concurrent.CopyOnWriteArrayList<>();
        PoolListener listener = new PoolListener() {
            @Override
            public void workerExited(String pool, long workerId, String description, boolean failure) {
                exits.add(pool + " " + workerId + " " + failure);
            }
        };
        FcgiHandler crashing = (request, response) -> {
            if (request.param("CRASH") != null) {
                throw new StackOverflowError("deliberate");
            }
            response.body().write("hello".getBytes(UTF_8));
        };
        PoolDefinition www = new PoolDefinition(PoolConfig.builder("www").listen("127.0.0.1:" + port).pm("static")
                .maxChildren(1).build(), () -> crashing);
        try (FcgiPoolManager manager = FcgiPoolManager.builder().emergencyRestart(2, java.time.Duration.ofMinutes(1))
                .listener(listener).build().start(List.of(www));
             RawFcgiConnection conn = RawFcgiConnection.connect(new InetSocketAddress("127.0.0.1", port))) {
            FcgiPool first = manager.pool("www");
            conn.request(1, true, Map.of("CRASH", "1"), new byte[0]);
            assertEquals(500, conn.readResponse(1).status());
            dev.fcgi.protocol.testing.Await.until(java.time.Duration.ofSeconds(20),
                    () -> first.status().idleProcesses() == 1, "the crashed worker was replaced");
            assertSame(first, manager.pool("www"), "one failure is under the threshold");
            conn.request(2, true, Map.of("CRASH", "1"), new byte[0]);
            assertEquals(500, conn.readResponse(2).status());
            dev.fcgi.protocol.testing.Await.until(java.time.Duration.ofSeconds(20),
                    () -> manager.pool("www") != first, "the second failure reloaded the pools");
            conn.request(3, true, Map.of(), new byte[0]);
            assertEquals("hello", conn.readResponse(3).body(), "the kept connection is served by the new pool");
            assertEquals(List.of("www 1 true", "www 2 true"), exits.subList(0, 2));
        }
    }

    @Test
    @DisplayName("pm.status_listen: a listener of its own answers the status page and ping; other paths get 404")
    void statusListen() throws Exception {
        int port = FreePorts.find();
        int statusPort = FreePorts.find();
        PoolDefinition www = new PoolDefinition(PoolConfig.builder("www").listen("127.0.0.1:" + port).pm("static")
                .maxChildren(1).statusListen("127.0.0.1:" + statusPort).pingPath("/ping").build(), () -> HELLO);
        try (FcgiPoolManager manager = FcgiPoolManager.builder().build().start(List.of(www));
             RawFcgiConnection status = RawFcgiConnection.connect(new InetSocketAddress("127.0.0.1", statusPort));
             RawFcgiConnection app = RawFcgiConnection.connect(new InetSocketAddress("127.0.0.1", port))) {
            status.request(1, true, Map.of("SCRIPT_NAME", "/", "QUERY_STRING", "json"), new byte[0]);
            String json = status.readResponse(1).body();
            assertTrue(json.startsWith("{\"pool\":\"www\""), json);
            status.request(2, true, Map.of("SCRIPT_NAME", "/ping"), new byte[0]);
            assertEquals("pong", status.readResponse(2).body());
            status.request(3, true, Map.of("SCRIPT_NAME", "/index.php"), new byte[0]);
            assertEquals(404, status.readResponse(3).status(), "the status listener runs no application code");
            app.request(1, true, Map.of("SCRIPT_NAME", "/index.php"), new byte[0]);
            assertEquals("hello", app.readResponse(1).body());
        }
    }

    @Test
    @DisplayName("listen.allowed_clients (a CIDR range) and listen.mode reach the pool's listeners")
    void listenOptions(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        int port = FreePorts.find();
        java.nio.file.Path socket = dir.resolve("www.sock");
        PoolDefinition tcp = new PoolDefinition(PoolConfig.builder("tcp").listen("127.0.0.1:" + port).pm("static")
                .maxChildren(1).listenAllowedClients("127.0.0.2/31").build(), () -> HELLO);
        PoolDefinition unix = new PoolDefinition(PoolConfig.builder("unix").listen(socket.toString()).pm("static")
                .maxChildren(1).listenMode("0600").build(), () -> HELLO);
        try (FcgiPoolManager manager = FcgiPoolManager.builder().build().start(List.of(tcp, unix))) {
            InetSocketAddress address = new InetSocketAddress("127.0.0.1", port);
            try (RawFcgiConnection refused = RawFcgiConnection.connect(address,
                    java.net.InetAddress.getByName("127.0.0.1"))) {
                assertTrue(refused.awaitClosed(), "127.0.0.1 is outside 127.0.0.2/31: closed at accept");
            }
            try (RawFcgiConnection allowed = RawFcgiConnection.connect(address,
                    java.net.InetAddress.getByName("127.0.0.3"))) {
                allowed.request(1, true, Map.of(), new byte[0]);
                assertEquals("hello", allowed.readResponse(1).body());
            }
            assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                    java.nio.file.Files.getPosixFilePermissions(socket)));
            try (RawFcgiConnection conn = RawFcgiConnection.connect(java.net.UnixDomainSocketAddress.of(socket))) {
                conn.request(1, true, Map.of(), new byte[0]);
                assertEquals("hello", conn.readResponse(1).body());
            }
        }
    }

    @Test
    @DisplayName("a reload that cannot open a listener changes nothing: the running pools go on serving")
    void failedReloadChangesNothing() throws Exception {
        int port = FreePorts.find();
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
             FcgiPoolManager manager = FcgiPoolManager.builder().build().start(List.of(staticPool("www", port, 1)));
             RawFcgiConnection conn = RawFcgiConnection.connect(new InetSocketAddress("127.0.0.1", port))) {
            FcgiPool running = manager.pool("www");
            assertThrows(java.io.IOException.class, () -> manager.reload(List.of(staticPool("www", port, 2),
                    staticPool("blocked", taken.getLocalPort(), 1))));
            assertSame(running, manager.pool("www"));
            assertEquals(List.of("www"), manager.poolNames());
            dev.fcgi.protocol.testing.Await.until(java.time.Duration.ofSeconds(20),
                    () -> manager.processBudget().used() == 1, "the pools the failed reload started were stopped");
            conn.request(1, true, Map.of(), new byte[0]);
            assertEquals("hello", conn.readResponse(1).body());
        }
    }
}
