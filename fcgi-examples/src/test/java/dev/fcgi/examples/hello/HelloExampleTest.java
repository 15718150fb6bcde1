package dev.fcgi.examples.hello;

import dev.fcgi.pool.ProcessManager;
import dev.fcgi.protocol.server.FcgiServer;
import dev.fcgi.protocol.testing.RawFcgiConnection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HelloExampleTest {

    @Test
    void answersWithNameAndBodyLength() throws Exception {
        try (FcgiServer server = HelloExample.start("127.0.0.1:0")) {
            assertAnswers(server);
        }
    }

    @Test
    void answersTheSameOnTheEventLoop() throws Exception {
        try (HelloExample.Running running = HelloExample.start(HelloOptions.parse("--listen", "127.0.0.1:0",
                "--event-loop", "--io-threads", "1"))) {
            assertNull(running.pool());
            assertAnswers(running.server());
        }
    }

    @Test
    void answersTheSameFromAPoolOfWorkerThreads(@TempDir Path dir) throws Exception {
        String socket = "unix:" + dir.resolve("hello.sock");     // FPM's listen refuses port 0
        try (HelloExample.Running running = HelloExample.start(HelloOptions.parse("--listen", socket,
                "--pm", "static", "--max-children", "3"))) {
            assertEquals(3, running.pool().snapshot().workers().size());
            assertAnswers(running.server());
            assertEquals(2, running.pool().status().acceptedConn());
        }
    }

    @Test
    void parsesPoolOptionsWithFpmsDefaultsAndChecks() {
        HelloOptions defaults = HelloOptions.parse();
        assertEquals("127.0.0.1:9000", defaults.listen());
        assertFalse(defaults.eventLoop());
        assertNull(defaults.pool());

        HelloOptions dynamic = HelloOptions.parse("--pm", "dynamic", "--max-children", "8", "--start-servers", "2",
                "--min-spare", "1", "--max-spare", "3", "--max-requests", "500");
        assertEquals(ProcessManager.DYNAMIC, dynamic.pool().pm());
        assertEquals(8, dynamic.pool().maxChildren());
        assertEquals("pool www: pm dynamic, pm.max_children 8", dynamic.describe());
        assertTrue(HelloOptions.parse("--event-loop").eventLoop());

        assertEquals("--event-loop runs the handler without a pool: drop it or --pm", assertThrows(
                IllegalArgumentException.class, () -> HelloOptions.parse("--event-loop", "--pm", "static")).getMessage());
        assertEquals("--max-children expects a number, not many", assertThrows(IllegalArgumentException.class,
                () -> HelloOptions.parse("--max-children", "many")).getMessage());
        assertEquals("--listen needs a value", assertThrows(IllegalArgumentException.class,
                () -> HelloOptions.parse("--listen")).getMessage());
        assertEquals("unknown option --threads", assertThrows(IllegalArgumentException.class,
                () -> HelloOptions.parse("--threads", "4")).getMessage());
        assertThrows(IllegalArgumentException.class,                   // FPM's own check: start within spare bounds
                () -> HelloOptions.parse("--pm", "dynamic", "--max-children", "8", "--start-servers", "9"));
    }

    private static void assertAnswers(FcgiServer server) throws Exception {
        try (RawFcgiConnection conn = RawFcgiConnection.connect(server.localAddress())) {
            conn.request(1, true, Map.of("QUERY_STRING", ""), new byte[0]);
            RawFcgiConnection.Response plain = conn.readResponse(1);
            assertEquals("Status: 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello, World!\n",
                    plain.text());
            conn.request(2, true, Map.of("QUERY_STRING", "name=Ada"), new byte[12]);
            assertEquals("Hello, Ada! You sent 12 bytes.\n", conn.readResponse(2).body());
        }
    }
}
