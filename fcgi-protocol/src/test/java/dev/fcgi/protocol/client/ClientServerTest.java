package dev.fcgi.protocol.client;

import dev.fcgi.protocol.server.FcgiHandler;
import dev.fcgi.protocol.server.FcgiServer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.SocketAddress;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.*;

/**
 * {@link FcgiClient} against {@link FcgiServer}: both ends of this library talking to each other.
 */
class ClientServerTest {

    @Test
    @DisplayName("spec 45: 100 concurrent requests multiplexed on one connection all complete")
    void hundredMultiplexedRequestsOnOneConnection() throws Exception {
        int requests = 100;
        CountDownLatch allArrived = new CountDownLatch(requests);
        Set<SocketAddress> peers = ConcurrentHashMap.newKeySet();
        FcgiHandler handler = (request, response) -> {
            peers.add(request.peerAddress());
            allArrived.countDown();
            // Every handler waits until all 100 run at once: only true multiplexing gets past this.
            if (!allArrived.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("only " + (requests - allArrived.getCount()) + " requests arrived");
            }
            response.contentType("text/plain");
            response.body().write(("n=" + request.param("N") + " id=" + request.requestId()).getBytes(UTF_8));
        };
        try (FcgiServer server = FcgiServer.builder().listen("127.0.0.1:0").handler(handler).build().start();
             FcgiClient client = FcgiClient.builder().address(server.localAddress()).maxConnections(1)
                     .multiplexing(Multiplexing.AUTO).build()) {
            List<CompletableFuture<FcgiClientResponse>> futures = new ArrayList<>();
            for (int i = 0; i < requests; i++) {
                futures.add(client.send(FcgiClientRequest.builder().cgi("GET", "/x", "").param("N", "" + i).build()));
            }
            Set<Integer> ids = ConcurrentHashMap.newKeySet();
            for (int i = 0; i < requests; i++) {
                try (FcgiClientResponse response = futures.get(i).get(60, TimeUnit.SECONDS)) {
                    assertEquals(200, response.status());
                    String body = response.bodyAsString();
                    assertTrue(body.startsWith("n=" + i + " id="), body);
                    ids.add(Integer.parseInt(body.substring(body.indexOf("id=") + 3)));
                    assertEquals(0, response.end().get(10, TimeUnit.SECONDS).appStatus());
                }
            }
            assertEquals(1, peers.size(), "one connection carried every request: " + peers);
            assertEquals(requests, ids.size(), "each request had its own id on the connection");
            assertFalse(ids.contains(0));
        }
    }

    @Test
    @DisplayName("a 20 MB upload and a 20 MB download between client and server, over a Unix socket, keep-conn off")
    void largeBodiesBothWays(@TempDir Path dir) throws Exception {
        FcgiHandler handler = (request, response) -> {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[65536];
            long length = 0;
            int n;
            while ((n = request.body().read(buffer)) > 0) {
                sha.update(buffer, 0, n);
                length += n;
            }
            response.header("X-Body-Length", Long.toString(length));
            response.header("X-Body-Sha256", java.util.HexFormat.of().formatHex(sha.digest()));
            for (int i = 0; i < 20 * 16; i++) {
                java.util.Arrays.fill(buffer, (byte) i);
                response.body().write(buffer);
            }
        };
        byte[] upload = new byte[20_000_000];
        new java.util.Random(3).nextBytes(upload);
        String expectedSha = java.util.HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(upload));
        try (FcgiServer server = FcgiServer.builder().listen("unix:" + dir.resolve("s.sock")).handler(handler)
                .spoolDirectory(dir).build().start();
             FcgiClient client = FcgiClient.builder().address(server.localAddress()).keepConn(false).build()) {
            for (int round = 0; round < 2; round++) {
                try (FcgiClientResponse response = client.send(FcgiClientRequest.post("/up", "application/octet-stream",
                        upload)).get(60, TimeUnit.SECONDS)) {
                    assertEquals("20000000", response.header("X-Body-Length"));
                    assertEquals(expectedSha, response.header("X-Body-Sha256"));
                    byte[] body = response.bodyAsBytes();
                    assertEquals(20 * 16 * 65536, body.length);
                    for (int i = 0; i < body.length; i += 65536) {
                        assertEquals((byte) (i / 65536), body[i]);
                    }
                }
            }
        }
    }
}
