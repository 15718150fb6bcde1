package dev.fcgi.examples.pool;

import dev.fcgi.pool.FcgiPool;
import dev.fcgi.protocol.server.FcgiServer;
import dev.fcgi.protocol.testing.RawFcgiConnection;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PoolExampleTest {

    @Test
    void servesRequestsStatusAndPing() throws Exception {
        FcgiPool[] pool = new FcgiPool[1];
        try (FcgiServer server = PoolExample.start("127.0.0.1:" + dev.fcgi.protocol.testing.FreePorts.find(), pool);
             RawFcgiConnection conn = RawFcgiConnection.connect(server.localAddress())) {
            conn.request(1, true, Map.of("SCRIPT_NAME", "/app"), new byte[0]);
            assertTrue(conn.readResponse(1).body().startsWith("request 1 of pool-www-worker-"));
            conn.request(1, true, Map.of("SCRIPT_NAME", "/ping"), new byte[0]);
            assertEquals("pong", conn.readResponse(1).body());
            conn.request(1, true, Map.of("SCRIPT_NAME", "/status", "QUERY_STRING", "json"), new byte[0]);
            String json = conn.readResponse(1).body();
            assertTrue(json.contains("\"process manager\":\"dynamic\""), json);
            assertTrue(json.contains("\"accepted conn\":3"), json);
        } finally {
            if (pool[0] != null) {
                pool[0].shutdownNow();
            }
        }
    }
}
