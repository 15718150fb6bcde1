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
}
