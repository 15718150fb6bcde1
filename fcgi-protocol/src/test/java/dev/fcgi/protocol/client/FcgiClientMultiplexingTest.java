package dev.fcgi.protocol.client;

import dev.fcgi.protocol.FcgiProtocolStatus;
import dev.fcgi.protocol.client.FakeFcgiServer.FakeRequest;
import io.netty.channel.EventLoopGroup;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static dev.fcgi.protocol.client.Await.failure;
import static dev.fcgi.protocol.client.Await.get;
import static dev.fcgi.protocol.client.FcgiClientSpecTest.OK;
import static dev.fcgi.protocol.client.FcgiClientSpecTest.body;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Multiplexing (checklist G 45, and M 65 for the ids) and the GET_VALUES probe that decides it.
 */
class FcgiClientMultiplexingTest extends FakeServerTestBase {

    @Test
    void spec45_hundredConcurrentRequestsShareOneConnectionInterleavedAndFinishOutOfOrder() throws Exception {
        server = FakeFcgiServer.tcp(FakeFcgiServer.silent());
        server.getValues = Map.of("FCGI_MPXS_CONNS", "1", "FCGI_MAX_REQS", "1000", "FCGI_MAX_CONNS", "4");
        client(b -> b);

        List<CompletableFuture<FcgiClientResponse>> futures = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            futures.add(client.send(FcgiClientRequest.builder().param("N", String.valueOf(i)).build()));
        }
        List<FakeRequest> requests = new ArrayList<>();
        Set<Integer> ids = new HashSet<>();
        for (int i = 0; i < 100; i++) {
            FakeRequest r = server.nextRequest();
            requests.add(r);
            ids.add(r.id);
            assertEquals(2, r.connection.index, "connection 1 was the probe's");
        }
        assertEquals(100, ids.size());
        assertTrue(ids.stream().allMatch(id -> id >= 1 && id <= 100), "ids: " + ids);

        // Headers for all, then the bodies in three rounds interleaved across requests, stderr in between, and
        // the ends in a shuffled order.
        Random random = new Random(42);
        Collections.shuffle(requests, random);
        for (FakeRequest r : requests) {
            r.stdout("Content-Type: text/plain\r\nX-N: " + r.param("N") + "\r\n\r\n");
        }
        for (int round = 0; round < 3; round++) {
            for (FakeRequest r : requests) {
                r.stdout("[" + r.param("N") + ":" + round + "]");
                if (round == 1) {
                    r.stderr("e" + r.param("N"));
                }
            }
        }
        Collections.shuffle(requests, random);
        for (FakeRequest r : requests) {
            r.endStdout().end(Integer.parseInt(r.param("N")), FcgiProtocolStatus.REQUEST_COMPLETE);
        }

        for (int i = 0; i < 100; i++) {
            FcgiClientResponse response = get(futures.get(i));
            assertEquals(String.valueOf(i), response.header("X-N"));
            assertEquals("[" + i + ":0][" + i + ":1][" + i + ":2]", body(response));
            assertEquals(i, response.appStatus());
            assertEquals("e" + i, response.stderr());
        }
        assertEquals(2, server.connections.size());
        server.await("the probe connection closed", () -> server.connection(1).isClosed());
        assertEquals(List.of("GET_VALUES [FCGI_MPXS_CONNS, FCGI_MAX_REQS, FCGI_MAX_CONNS]"), server.connection(1).log);
        assertEquals(100, client.pool.capacity(), "FCGI_MAX_REQS=1000 capped by maxRequestsPerConnection(100)");
    }

    @Test
    void spec65_multiplexedRequestsBeyondOneConnectionsCapacityOpenAnother() throws Exception {
        server = FakeFcgiServer.tcp(FakeFcgiServer.silent());
        client(b -> b.multiplexing(Multiplexing.ON).maxRequestsPerConnection(2));

        List<CompletableFuture<FcgiClientResponse>> futures = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            futures.add(client.send(FcgiClientRequest.get("/a.php", "n=" + i)));
        }
        List<FakeRequest> requests = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            requests.add(server.nextRequest());
        }
        Map<Object, Long> perConnection = requests.stream()
                .collect(java.util.stream.Collectors.groupingBy(r -> r.connection, java.util.stream.Collectors.counting()));
        assertEquals(List.of(1L, 2L), perConnection.values().stream().sorted().toList(),
                "two requests on the first connection, the third on a second one");
        for (FakeRequest r : requests) {
            assertTrue(r.id == 1 || r.id == 2, "ids start at 1 on each connection");
            r.respond(OK);
        }
        for (CompletableFuture<FcgiClientResponse> f : futures) {
            assertEquals("ok", body(get(f)));
        }
    }

    /**
     * The client closes a multiplexed connection to stop its only request (a cancel), while the pool binds another
     * request to that connection, which still looks open: the second request must go out on another connection,
     * not fail with "connection closed by the application" (found by the soak: FcgiClient calls next to aborted
     * ones failed, never sent to a handler). The client's one event loop is held so that the cancel and the
     * second request's start queue behind it in this order.
     */
    @Test
    void aRequestBoundAsTheClientClosesItsConnectionToStopAnotherGoesOutOnANewConnection() throws Exception {
        server = FakeFcgiServer.tcp(FakeFcgiServer.silent());
        EventLoopGroup loop = Transport.newGroup(1, "one-client-loop");
        try {
            client(b -> b.multiplexing(Multiplexing.ON).eventLoopGroup(loop));
            CompletableFuture<FcgiClientResponse> first = client.send(FcgiClientRequest.get("/a.php", "n=1"));
            FakeRequest firstOnServer = server.nextRequest();

            CountDownLatch held = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            loop.execute(() -> {
                held.countDown();
                try {
                    release.await(Await.SECONDS, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            assertTrue(held.await(Await.SECONDS, TimeUnit.SECONDS));
            first.cancel(true);                  // queued: the only request on its connection, which is closed
            CompletableFuture<FcgiClientResponse> second = client.send(FcgiClientRequest.get("/a.php", "n=2"));
            release.countDown();

            FakeRequest secondOnServer = server.nextRequest();
            assertEquals("n=2", secondOnServer.param("QUERY_STRING"));
            assertNotSame(firstOnServer.connection, secondOnServer.connection);
            secondOnServer.respond(OK);
            assertEquals("ok", body(get(second)));
            server.await("the first connection closed", firstOnServer.connection::isClosed);
        } finally {
            client.close();
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Test
    void probeIsSentOnceLazilyOnADedicatedConnection() throws Exception {
        server = FakeFcgiServer.tcp(FakeFcgiServer.answering(OK));
        server.getValues = Map.of("FCGI_MPXS_CONNS", "1", "FCGI_MAX_REQS", "10");
        client(b -> b);
        assertEquals(0, server.connections.size(), "nothing is dialled before the first request");

        for (int i = 0; i < 3; i++) {
            assertEquals("ok", body(get(client.send(FcgiClientRequest.get("/a.php", "")))));
        }
        assertEquals(2, server.connections.size());
        assertEquals(List.of("GET_VALUES [FCGI_MPXS_CONNS, FCGI_MAX_REQS, FCGI_MAX_CONNS]"), server.connection(1).log);
        server.await("the probe connection closed", () -> server.connection(1).isClosed());
        assertEquals(10, client.pool.capacity());
    }

    @Test
    void probeAnsweredWithoutMultiplexingMeansOneRequestPerConnectionWithId1() throws Exception {
        server = FakeFcgiServer.tcp(FakeFcgiServer.silent());
        server.getValues = Map.of("FCGI_MPXS_CONNS", "0", "FCGI_MAX_REQS", "5", "FCGI_MAX_CONNS", "2");
        client(b -> b);

        List<CompletableFuture<FcgiClientResponse>> futures = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            futures.add(client.send(FcgiClientRequest.get("/a.php", "n=" + i)));
        }
        FakeRequest r1 = server.nextRequest();
        FakeRequest r2 = server.nextRequest();
        Await.until("the third request waits: FCGI_MAX_CONNS=2 caps the pool", () -> client.pool.waiting() == 1);
        assertEquals(1, r1.id);
        assertEquals(1, r2.id);
        r1.respond(OK);
        FakeRequest r3 = server.nextRequest();
        assertEquals(1, r3.id);
        r2.respond(OK);
        r3.respond(OK);
        for (CompletableFuture<FcgiClientResponse> f : futures) {
            assertEquals("ok", body(get(f)));
        }
        assertEquals(3, server.connections.size(), "the probe's and two for requests");
    }

    @Test
    void probeClosedWithoutAnswerMeansNoMultiplexing() throws Exception {
        server = FakeFcgiServer.tcp(FakeFcgiServer.silent());
        server.getValuesMode = FakeFcgiServer.GetValuesMode.CLOSE;
        client(b -> b);

        CompletableFuture<FcgiClientResponse> first = client.send(FcgiClientRequest.get("/a.php", ""));
        CompletableFuture<FcgiClientResponse> second = client.send(FcgiClientRequest.get("/b.php", ""));
        FakeRequest r1 = server.nextRequest();
        FakeRequest r2 = server.nextRequest();
        assertEquals(1, r1.id);
        assertEquals(1, r2.id);
        assertTrue(r1.connection != r2.connection);
        r1.respond(OK);
        r2.respond(OK);
        assertEquals("ok", body(get(first)));
        assertEquals("ok", body(get(second)));
        assertEquals(1, client.pool.capacity());
    }

    @Test
    void probeWithoutAnswerTimesOutAndMeansNoMultiplexing() throws Exception {
        server = FakeFcgiServer.tcp(FakeFcgiServer.answering(OK));
        server.getValuesMode = FakeFcgiServer.GetValuesMode.IGNORE;
        client(b -> b.connectTimeout(Duration.ofMillis(200)));

        assertEquals("ok", body(get(client.send(FcgiClientRequest.get("/a.php", "")))));
        assertEquals(1, client.pool.capacity());
        server.await("the probe connection closed by the client", () -> server.connection(1).isClosed());
    }

    @Test
    void getValuesAnswersOnADedicatedConnectionThatIsThenClosed() throws Exception {
        server = FakeFcgiServer.tcp(FakeFcgiServer.silent());
        server.getValues = Map.of("FCGI_MAX_CONNS", "8", "FCGI_MPXS_CONNS", "1");
        client(b -> b);

        Map<String, String> values = get(client.getValues("FCGI_MAX_CONNS", "FCGI_MAX_REQS", "FCGI_MPXS_CONNS"));
        assertEquals(Map.of("FCGI_MAX_CONNS", "8", "FCGI_MPXS_CONNS", "1"), values);
        server.await("its connection closed", () -> server.connection(1).isClosed());
        assertEquals(0, client.pool.connectionCount());
    }

    @Test
    void getValuesWithoutAnswerTimesOut() throws Exception {
        server = FakeFcgiServer.tcp(FakeFcgiServer.silent());
        server.getValuesMode = FakeFcgiServer.GetValuesMode.IGNORE;
        client(b -> b.requestTimeout(Duration.ofMillis(100)));

        Throwable e = failure(client.getValues("FCGI_MPXS_CONNS"));
        assertInstanceOf(FcgiTimeoutException.class, e);
        assertTrue(e.getMessage().contains("no GET_VALUES_RESULT"), e.getMessage());
    }
}
