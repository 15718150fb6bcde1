package dev.fcgi.protocol.client;

import dev.fcgi.protocol.testing.ExternalProcess;
import dev.fcgi.protocol.testing.PhpFpmProcess;
import org.junit.jupiter.api.Test;

import java.net.SocketAddress;
import java.nio.file.Files;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Interop with php-fpm 8.2 over a Unix socket (skipped when php-fpm is not installed). */
class PhpFpmInteropTest extends PhpInteropTestBase {

    PhpFpmProcess fpm;

    @Override
    ExternalProcess start() throws Exception {
        fpm = PhpFpmProcess.start(dir, true, Map.of());
        return fpm;
    }

    @Override
    SocketAddress address() {
        return fpm.address();
    }

    /** Restarts php-fpm on TCP with {@code pm.max_requests = 2}, so each child closes its connection after 2. */
    @Test
    void spec69_phpFpmRecyclingChildrenAtMaxRequestsIsTransparent() throws Exception {
        client.close();
        app.close();
        fpm = PhpFpmProcess.start(Files.createDirectories(dir.resolve("recycling")), false,
                Map.of("pm.max_requests", "2"));
        app = fpm;
        client = FcgiClient.builder().address(fpm.address()).build();

        for (int i = 0; i < 10; i++) {
            try (FcgiClientResponse response = get("name=" + i)) {
                assertEquals(201, response.status(), fpm.log());
                assertTrue(response.bodyAsString().startsWith("hello " + i + " "));
            }
        }
        assertTrue(client.pool.dialledCount() >= 5,
                "each php-fpm child closes its connection after 2 requests: " + client.pool.dialledCount());
    }
}
