package dev.fcgi.examples.php;

import dev.fcgi.pool.FcgiPool;
import dev.fcgi.protocol.server.FcgiServer;
import dev.fcgi.protocol.testing.ExternalTools;
import dev.fcgi.protocol.testing.FreePorts;
import dev.fcgi.protocol.testing.RawFcgiConnection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PhpExampleTest {

    @Test
    void servesPhpAndTheStatusPageWithPhpCgiChildren(@TempDir Path dir) throws Exception {
        String phpCgi = ExternalTools.require("php-cgi8.2", "php-cgi");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));  // children may be nobody
        Path script = Files.writeString(dir.resolve("hello.php"), "<?php echo 'Hello, ' . PHP_SAPI . '!';");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rw-r--r--"));
        FcgiPool[] pool = new FcgiPool[1];
        try (FcgiServer server = PhpExample.start(List.of("--listen", "127.0.0.1:" + FreePorts.find(),
                "--max-children", "2", "--command", phpCgi, "--status-path", "/status"), pool);
             RawFcgiConnection conn = RawFcgiConnection.connect(server.localAddress())) {
            conn.request(1, true, Map.of("SCRIPT_FILENAME", script.toString(), "SCRIPT_NAME", "/hello.php",
                    "REQUEST_METHOD", "GET", "REDIRECT_STATUS", "200"), new byte[0]);
            String hello = conn.readResponse(1).body();
            assertTrue(hello.endsWith("Hello, cgi-fcgi!"), hello);
            conn.request(1, true, Map.of("SCRIPT_NAME", "/status", "QUERY_STRING", "json"), new byte[0]);
            String json = conn.readResponse(1).body();
            assertTrue(json.contains("\"process manager\":\"static\""), json);
            assertTrue(json.contains("\"total processes\":2"), json);
        } finally {
            if (pool[0] != null) {
                pool[0].shutdownGracefully(Duration.ofSeconds(10));
            }
        }
    }

    @Test
    void refusesBadOptionsWithFpmsMessages() {
        FcgiPool[] pool = new FcgiPool[1];
        assertEquals("unknown option --bogus",
                assertThrows(IllegalArgumentException.class, () -> PhpExample.start(List.of("--bogus", "1"), pool))
                        .getMessage());
        assertEquals("[pool www] pm.min_spare_servers(0) must be a positive value",
                assertThrows(IllegalArgumentException.class, () -> PhpExample.start(List.of("--pm", "dynamic"), pool))
                        .getMessage());
        assertEquals("--max-children expects a number, not x", assertThrows(IllegalArgumentException.class,
                () -> PhpExample.start(List.of("--max-children", "x"), pool)).getMessage());
    }
}
