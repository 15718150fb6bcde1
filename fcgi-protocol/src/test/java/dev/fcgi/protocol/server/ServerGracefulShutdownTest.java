package dev.fcgi.protocol.server;

import dev.fcgi.protocol.client.FcgiClient;
import dev.fcgi.protocol.client.FcgiClientRequest;
import dev.fcgi.protocol.client.FcgiClientResponse;
import dev.fcgi.protocol.client.FcgiConnectException;
import dev.fcgi.protocol.client.FcgiRequestRefusedException;
import dev.fcgi.protocol.testing.Await;
import dev.fcgi.protocol.testing.RawFcgiConnection;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link FcgiServer#shutdownGracefully} under load: clients keep sending while the server stops. Every request the
 * server began gets its complete answer (held requests included), every other request is refused cleanly (the
 * connection refused, or FCGI_OVERLOADED), none is cut, times out or gets a wrong answer, and the stop returns in
 * time. Load is bounded in count and time; the held requests make the timing deterministic.
 */
class ServerGracefulShutdownTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final int CLIENT_THREADS = 4;
    private static final int MAX_REQUESTS_PER_THREAD = 20_000;
    private static final int HELD = 4;

    /** Counts what the handler began, holds requests that ask for it, and answers with the request's own id. */
    private static final class CountingHandler implements FcgiHandler {
        final Set<String> begun = ConcurrentHashMap.newKeySet();
        final CountDownLatch heldIn = new CountDownLatch(HELD);
        final CountDownLatch release = new CountDownLatch(1);

        @Override
        public void handle(FcgiRequest request, FcgiResponse response) throws Exception {
            String id = request.param("X_ID");
            begun.add(id);
            if (request.param("X_HOLD") != null) {
                heldIn.countDown();
                if (!release.await(WAIT.toSeconds(), TimeUnit.SECONDS)) {
                    throw new IllegalStateException("never released");
                }
            }
            byte[] body = ("answer " + id + "\n").repeat(64).getBytes(UTF_8);     // 4 KiB or so: several writes
            response.status(200).contentType("text/plain");
            try (OutputStream out = response.body()) {
                out.write(body);
            }
        }
    }

    /** What the clients saw. */
    private static final class Outcomes {
        final Set<String> answered = ConcurrentHashMap.newKeySet();
        final AtomicInteger refused = new AtomicInteger();
        final List<String> unexpected = new CopyOnWriteArrayList<>();

        void check(String id, FcgiClientResponse response) throws IOException {
            String body = response.bodyAsString();
            if (response.status() == 200 && body.equals(("answer " + id + "\n").repeat(64))) {
                if (!answered.add(id)) {
                    unexpected.add(id + ": answered twice");
                }
            } else {
                unexpected.add(id + ": status " + response.status() + ", " + body.length() + " bytes");
            }
        }

        void failed(String id, Throwable failure) {
            Throwable cause = failure instanceof ExecutionException ? failure.getCause() : failure;
            if (cause instanceof FcgiConnectException || cause instanceof FcgiRequestRefusedException) {
                refused.incrementAndGet();
            } else {
                unexpected.add(id + ": " + cause);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"tcp", "unix"})
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    @DisplayName("under load: begun requests finish, the rest are refused cleanly, none is lost or cut")
    void beganRequestsFinishUnderLoad(String transport, @TempDir Path dir) throws Exception {
        CountingHandler handler = new CountingHandler();
        SocketAddress listen = transport.equals("tcp") ? new InetSocketAddress("127.0.0.1", 0)
                : UnixDomainSocketAddress.of(dir.resolve("fcgi.sock"));
        FcgiServer server = FcgiServer.builder().listen(listen).handler(handler).ioThreads(2).build().start();
        SocketAddress address = server.localAddress();
        Outcomes outcomes = new Outcomes();
        AtomicBoolean stop = new AtomicBoolean();
        long loadDeadline = System.nanoTime() + WAIT.toNanos();
        try (FcgiClient client = FcgiClient.builder().address(address).maxConnections(8)
                .connectTimeout(Duration.ofSeconds(5)).requestTimeout(WAIT).build()) {
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < CLIENT_THREADS; t++) {
                int thread = t;
                threads.add(Thread.ofPlatform().name("load-" + t).start(() -> {
                    for (int i = 0; i < MAX_REQUESTS_PER_THREAD && !stop.get() && System.nanoTime() < loadDeadline;
                         i++) {
                        String id = thread + "-" + i;
                        try (FcgiClientResponse response = client.send(request(id, false))
                                .get(WAIT.toSeconds(), TimeUnit.SECONDS)) {
                            outcomes.check(id, response);
                        } catch (Exception e) {
                            outcomes.failed(id, e);
                        }
                    }
                }));
            }
            Await.until(WAIT, () -> outcomes.answered.size() >= 200, "200 answers before the stop");

            List<CompletableFuture<FcgiClientResponse>> held = new ArrayList<>();
            for (int h = 0; h < HELD; h++) {
                held.add(client.send(request("held-" + h, true)));
            }
            assertTrue(handler.heldIn.await(WAIT.toSeconds(), TimeUnit.SECONDS), "the held requests run");

            server.drain();
            assertTrue(server.activeRequestCount() >= HELD, "the held requests are in progress");
            assertRefused(address);
            Await.until(WAIT, () -> outcomes.refused.get() >= CLIENT_THREADS,
                    () -> "the clients meet refusals while the held requests run: " + outcomes.unexpected);
            for (CompletableFuture<FcgiClientResponse> future : held) {
                assertFalse(future.isDone(), "a held request waits for its handler");
            }

            handler.release.countDown();
            assertTrue(server.awaitDrained(WAIT), "every connection closed and every handler returned in time");
            for (int h = 0; h < HELD; h++) {
                try (FcgiClientResponse response = held.get(h).get(WAIT.toSeconds(), TimeUnit.SECONDS)) {
                    outcomes.check("held-" + h, response);
                }
            }
            stop.set(true);
            for (Thread thread : threads) {
                thread.join(WAIT.toMillis());
                assertFalse(thread.isAlive(), thread + " stopped");
            }
        } finally {
            stop.set(true);
            server.close();
        }
        assertEquals(List.of(), outcomes.unexpected, "no request cut, timed out, answered wrongly or twice");
        assertEquals(handler.begun, outcomes.answered, "every request the server began was answered, and only those");
        assertTrue(outcomes.answered.containsAll(List.of("held-0", "held-1", "held-2", "held-3")));
        assertEquals(0, server.connectionCount());
        if (listen instanceof UnixDomainSocketAddress unix) {
            assertFalse(Files.exists(unix.getPath()), "the socket file is removed at once");
        }
    }

    @Test
    @Timeout(value = 1, unit = TimeUnit.MINUTES)
    @DisplayName("a connection opened just before the stop may begin its first request; an idle kept one closes")
    void connectionOpenedBeforeTheStopGetsItsRequestServed() throws Exception {
        CountingHandler handler = new CountingHandler();
        try (ServerFixture fixture = new ServerFixture(handler);
             RawFcgiConnection fresh = fixture.connect();
             RawFcgiConnection kept = fixture.connect()) {
            kept.request(1, true, Map.of("X_ID", "kept"), new byte[0]);
            assertEquals(200, kept.readResponse(1).status());
            Await.until(WAIT, () -> fixture.server.connectionCount() == 2, "both connections open");

            fixture.server.drain();
            assertTrue(kept.awaitClosed(), "the idle kept connection closes at once");
            fresh.request(1, false, Map.of("X_ID", "fresh"), new byte[0]);
            assertEquals(200, fresh.readResponse(1).status(), "the first request of the fresh connection is served");
            assertTrue(fixture.server.awaitDrained(WAIT));
        }
        assertEquals(Set.of("kept", "fresh"), handler.begun);
    }

    private static FcgiClientRequest request(String id, boolean hold) {
        FcgiClientRequest.Builder builder = FcgiClientRequest.builder().cgi("GET", "/app", "").param("X_ID", id);
        if (hold) {
            builder.param("X_HOLD", "1");
        }
        return builder.timeout(WAIT).build();
    }

    /** New connections are refused by the operating system once the server drains. */
    private static void assertRefused(SocketAddress address) {
        assertThrows(IOException.class, () -> {
            StandardProtocolFamily family = address instanceof UnixDomainSocketAddress ? StandardProtocolFamily.UNIX
                    : address instanceof InetSocketAddress inet && inet.getAddress() instanceof java.net.Inet6Address
                    ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET;
            try (SocketChannel channel = SocketChannel.open(family)) {
                channel.connect(address);
            }
        }, "a new connection is refused");
    }
}
