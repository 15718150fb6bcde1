package dev.fcgi.protocol.client;

import dev.fcgi.protocol.FcgiProtocolException;
import dev.fcgi.protocol.FcgiProtocolStatus;
import dev.fcgi.protocol.FcgiRole;
import dev.fcgi.protocol.client.FakeFcgiServer.FakeRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.fcgi.protocol.client.Await.failure;
import static dev.fcgi.protocol.client.Await.get;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The client-side statements of the conformance checklist (M 64 to 71), against a scripted fake application.
 * Statement numbers refer to /work/shared/reference/fastcgi-spec.md.
 */
class FcgiClientSpecTest extends FakeServerTestBase {

    static final String OK = "Content-Type: text/plain\r\n\r\nok";


    static String body(FcgiClientResponse response) throws Exception {
        try (response) {
            return response.bodyAsString();
        }
    }

    // ---- 64: BEGIN, PARAMS..., empty PARAMS, STDIN..., empty STDIN (DATA for FILTER) ------------------------------

    @Test
    void spec64_requestWithNoParamsAndNoBodyStillSendsTheEmptyParamsAndStdin() throws Exception {
        server = FakeFcgiServer.tcp(FakeFcgiServer.answering(OK));
        client(b -> b.multiplexing(Multiplexing.OFF));

        assertEquals("ok", body(get(client.send(FcgiClientRequest.builder().build()))));

        assertEquals(List.of("BEGIN:8", "PARAMS:0", "STDIN:0"), server.connection(1).wireOf(1));
        assertEquals(List.of("BEGIN 1 RESPONDER keep", "PARAMS 1 end", "STDIN 1 end"), server.connection(1).log);
    }

    @Test
    void spec64_paramsAndBodyAreEachFollowedByTheirEmptyRecord() throws Exception {
        server = FakeFcgiServer.tcp(FakeFcgiServer.answering(OK));
        client(b -> b.multiplexing(Multiplexing.OFF));

        FcgiClientRequest request = FcgiClientRequest.builder().param("A", "1").body("hello").build();
        assertEquals("ok", body(get(client.send(request))));

        List<String> wire = server.connection(1).wireOf(1);
        assertEquals(List.of("BEGIN:8", "PARAMS:" + (4 + 17), "PARAMS:0", "STDIN:5", "STDIN:0"), wire);
        FakeRequest received = server.nextRequest();
        assertEquals("1", received.param("A"));
        assertEquals("5", received.param("CONTENT_LENGTH"), "CONTENT_LENGTH is added for a body of known length");
        assertEquals("hello", received.stdinText());
    }

    @Test
    void spec64_filterSendsTheDataStreamAfterStdin() throws Exception {
        server = FakeFcgiServer.tcp(FakeFcgiServer.answering(OK));
        client(b -> b.multiplexing(Multiplexing.OFF));

        FcgiClientRequest request = FcgiClientRequest.builder().role(FcgiRole.FILTER).body("in")
                .data("data-file".getBytes(StandardCharsets.US_ASCII)).build();
        assertEquals("ok", body(get(client.send(request))));

        List<String> wire = server.connection(1).wireOf(1);
        assertEquals(List.of("STDIN:2", "STDIN:0", "DATA:9", "DATA:0"), wire.subList(wire.size() - 4, wire.size()));
        assertEquals(List.of("BEGIN 1 FILTER keep", "PARAMS 1 end", "STDIN 1 end", "DATA 1 end"),
                server.connection(1).log);
        FakeRequest received = server.nextRequest();
        assertEquals("9", received.param("FCGI_DATA_LENGTH"));
        assertEquals("data-file", received.data.toString(StandardCharsets.US_ASCII));
    }

    @Test
    void spec64_filterWithStreamedStdinAndDataKeepsTheOrder() throws Exception {
        server = FakeFcgiServer.tcp(FakeFcgiServer.answering(OK));
        client(b -> b.multiplexing(Multiplexing.OFF));

        byte[] in = pattern(100_000);
        FcgiClientRequest request = FcgiClientRequest.builder().role(FcgiRole.FILTER)
                .body(new ByteArrayInputStream(in), in.length)
                .data(new ByteArrayInputStream(new byte[70_000]), 70_000).build();
        assertEquals("ok", body(get(client.send(request))));

        List<String> wire = server.connection(1).wireOf(1);
        int stdinEnd = wire.indexOf("STDIN:0");
        int firstData = indexOfPrefix(wire, "DATA:");
        assertTrue(stdinEnd > 0 && firstData > stdinEnd, "DATA after the empty STDIN: " + wire);
        assertEquals("DATA:0", wire.get(wire.size() - 1));
        assertEquals(100_000, sumOf(wire, "STDIN:"));
        assertEquals(70_000, sumOf(wire, "DATA:"));
        FakeRequest received = server.nextRequest();
        assertEquals(sha256(in), received.stdinSha256());
    }

    @Test
    void spec64_streamedBodyIsSentInChunksThenTheEmptyStdin() throws Exception {
        server = FakeFcgiServer.tcp(FakeFcgiServer.answering(OK));
        client(b -> b.multiplexing(Multiplexing.OFF));

        byte[] bytes = pattern(300_000);
        assertEquals("ok", body(get(client.send(FcgiClientRequest.builder()
                .body(new ByteArrayInputStream(bytes)).build()))));

        List<String> wire = server.connection(1).wireOf(1);
        assertEquals(List.of("BEGIN:8", "PARAMS:0"), wire.subList(0, 2),
                "no CONTENT_LENGTH for a stream of unknown length, so no params");
        assertEquals("STDIN:0", wire.get(wire.size() - 1));
        for (String record : wire.subList(2, wire.size() - 1)) {
            int length = Integer.parseInt(record.substring("STDIN:".length()));
            assertTrue(record.startsWith("STDIN:") && length > 0 && length <= FcgiClient.CHUNK_SIZE, record);
        }
        assertEquals(300_000, sumOf(wire, "STDIN:"));
        assertEquals(sha256(bytes), server.nextRequest().stdinSha256());
    }

    @Test
    void spec64_fileBodyIsStreamedAndCanBeSentTwice(@TempDir Path dir) throws Exception {
        server = FakeFcgiServer.tcp(FakeFcgiServer.answering(OK));
        client(b -> b.multiplexing(Multiplexing.OFF));
        byte[] bytes = pattern(200_000);
        Path file = Files.write(dir.resolve("body.bin"), bytes);

        FcgiClientRequest request = FcgiClientRequest.builder().body(file).build();
        assertTrue(request.isReplayable());
        assertEquals("ok", body(get(client.send(request))));
        assertEquals("ok", body(get(client.send(request))));

        for (int i = 0; i < 2; i++) {
            FakeRequest received = server.nextRequest();
            assertEquals("200000", received.param("CONTENT_LENGTH"));
            assertEquals(sha256(bytes), received.stdinSha256());
        }
    }

    // ---- 65: one id per request, never 0, reused only after END_REQUEST ------------------------------------------

    @Test
    void spec65_withoutMultiplexingEveryRequestUsesId1() throws Exception {
        server = FakeFcgiServer.tcp(FakeFcgiServer.answering(OK));
        client(b -> b.multiplexing(Multiplexing.OFF).maxConnections(1));

        for (int i = 0; i < 3; i++) {
            FcgiClientResponse response = get(client.send(FcgiClientRequest.get("/x.php", "i=" + i)));
            assertEquals(1, response.requestId());
            assertEquals("ok", body(response));
        }
        assertEquals(1, server.connections.size());
        for (FakeFcgiServer.WireRecord r : server.connection(1).wire) {
            assertEquals(1, r.requestId(), "every record carries id 1: " + r);
        }
    }

    @Test
    @org.junit.jupiter.api.DisplayName("spec 65, 63: multiplexed ids are distinct, never 0, the lowest free (so they stay within 1..65535), reused only after END_REQUEST")
    void spec65_multiplexedIdsAreDistinctNonZeroAndReusedOnlyAfterEndRequest() throws Exception {
        server = FakeFcgiServer.tcp(FakeFcgiServer.silent());
        client(b -> b.multiplexing(Multiplexing.ON).maxConnections(1).maxRequestsPerConnection(3));

        List<CompletableFuture<FcgiClientResponse>> futures = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            futures.add(client.send(FcgiClientRequest.builder().param("N", "" + i).build()));
        }
        Set<Integer> ids = new HashSet<>();
        List<FakeRequest> received = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            FakeRequest r = server.nextRequest();
            received.add(r);
            ids.add(r.id);
        }
        assertEquals(Set.of(1, 2, 3), ids);
        for (int id : ids) {
            List<String> wire = server.connection(1).wireOf(id);
            assertEquals(List.of("BEGIN:8", "PARAMS:" + wire.get(1).substring(7), "PARAMS:0", "STDIN:0"), wire,
                    "all records of request " + id + " carry its id");
        }

        CompletableFuture<FcgiClientResponse> fourth = client.send(FcgiClientRequest.builder().param("N", "3").build());
        Await.until("the fourth request waits for a free id", () -> client.pool.waiting() == 1);
        assertEquals(3, server.connection(1).log.stream().filter(l -> l.startsWith("BEGIN")).count());

        FakeRequest second = received.stream().filter(r -> r.id == 2).findFirst().orElseThrow();
        second.respond(OK);
        FakeRequest next = server.nextRequest();
        assertEquals(2, next.id, "id 2 is free again once its END_REQUEST was read");
        assertEquals("3", next.param("N"));

        for (FakeRequest r : received) {
            if (r.id != 2) {
                r.respond(OK);
            }
        }
        next.respond(OK);
        for (CompletableFuture<FcgiClientResponse> f : futures) {
            assertEquals("ok", body(get(f)));
        }
        assertEquals("ok", body(get(fourth)));
        assertEquals(1, server.connections.size());
    }

    // ---- 66: PARAMS over 65535 bytes are split over records ------------------------------------------------------

    @Test
    void spec66_paramsLongerThanOneRecordAreSplitOverRecords() throws Exception {
        server = FakeFcgiServer.tcp(FakeFcgiServer.answering(OK));
        client(b -> b.multiplexing(Multiplexing.OFF));
        String big = "v".repeat(100_000);

        FcgiClientRequest request = FcgiClientRequest.builder().param("SMALL", "s").param("BIG", big)
                .param("AFTER", "a").build();
        assertEquals("ok", body(get(client.send(request))));

        int total = request.params().encodedLength();
        assertEquals(List.of("BEGIN:8", "PARAMS:65535", "PARAMS:" + (total - 65535), "PARAMS:0", "STDIN:0"),
                server.connection(1).wireOf(1));
        FakeRequest received = server.nextRequest();
        assertEquals(big, received.param("BIG"), "the pair straddling two records arrives whole");
        assertEquals("s", received.param("SMALL"));
        assertEquals("a", received.param("AFTER"));
    }

    // ---- 67: back to the pool only after END_REQUEST -------------------------------------------------------------

    @Test
    void spec67_connectionReturnsToThePoolOnlyAfterEndRequest() throws Exception {
        server = FakeFcgiServer.tcp(FakeFcgiServer.silent());
        client(b -> b.multiplexing(Multiplexing.OFF).maxConnections(2));

        CompletableFuture<FcgiClientResponse> first = client.send(FcgiClientRequest.get("/a.php", ""));
        FakeRequest r1 = server.nextRequest();
        r1.stdout(OK).endStdout();
        FcgiClientResponse response1 = get(first);
        assertEquals(200, response1.status());

        CompletableFuture<FcgiClientResponse> second = client.send(FcgiClientRequest.get("/b.php", ""));
        FakeRequest r2 = server.nextRequest();
        assertEquals(2, r2.connection.index, "the empty STDOUT alone does not free connection 1");

        r1.end(0, FcgiProtocolStatus.REQUEST_COMPLETE);
        assertEquals("ok", body(response1));
        assertEquals(0, response1.appStatus());

        CompletableFuture<FcgiClientResponse> third = client.send(FcgiClientRequest.get("/c.php", ""));
        FakeRequest r3 = server.nextRequest();
        assertEquals(1, r3.connection.index, "connection 1 is reused after END_REQUEST");
        r2.respond(OK);
        r3.respond(OK);
        assertEquals("ok", body(get(second)));
        assertEquals("ok", body(get(third)));
        assertEquals(2, server.connections.size());
    }

    @Test
    void spec67_unreadBodyBelowTheBufferDoesNotHoldItsConnectionAfterEndRequest() throws Exception {
        server = FakeFcgiServer.tcp(FakeFcgiServer.answering("Content-Type: text/plain\r\n\r\n" + "x".repeat(10_000)));
        client(b -> b.multiplexing(Multiplexing.OFF).maxConnections(1));

        FcgiClientResponse unread = get(client.send(FcgiClientRequest.get("/a.php", "")));
        Await.until("END_REQUEST of the first response", unread::isEnded);
        FcgiClientResponse second = get(client.send(FcgiClientRequest.get("/b.php", "")));
        assertEquals(10_000, second.bodyAsBytes().length);
        assertEquals(10_000, unread.bodyAsBytes().length);
        assertEquals(1, server.connections.size());
    }

    // ---- 68: CANT_MPX_CONN / OVERLOADED retried, UNKNOWN_ROLE clear, appStatus reported --------------------------

    @Test
    void spec68_overloadedIsRetriedAfterABackOff() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        server = FakeFcgiServer.tcp(r -> {
            if (calls.incrementAndGet() == 1) {
                r.end(0, FcgiProtocolStatus.OVERLOADED);
            } else {
                r.respond(OK);
            }
        });
        client(b -> b.multiplexing(Multiplexing.OFF));

        assertEquals("ok", body(get(client.send(FcgiClientRequest.post("/p.php", "text/plain", new byte[10])))));
        assertEquals(2, calls.get());
    }

    @Test
    void spec68_overloadedIsRetriedOnAnotherConnectionAndTheRefusingOneCloses() throws Exception {
        // an application closing a connection (or draining it in a graceful stop) refuses every new request on it
        java.util.concurrent.atomic.AtomicReference<FakeFcgiServer.FakeConnection> refusing =
                new java.util.concurrent.atomic.AtomicReference<>();
        server = FakeFcgiServer.tcp(r -> {
            refusing.compareAndSet(null, r.connection);
            if (r.connection == refusing.get()) {
                r.end(0, FcgiProtocolStatus.OVERLOADED);
            } else {
                r.respond(OK);
            }
        });
        client(b -> b.multiplexing(Multiplexing.ON).maxConnections(2));

        assertEquals("ok", body(get(client.send(FcgiClientRequest.get("/a.php", "")))));
        assertEquals("ok", body(get(client.send(FcgiClientRequest.get("/b.php", "")))));
        assertEquals(1, server.requests.stream().filter(r -> r.connection == refusing.get()).count(),
                "the refusing connection got one request only");
        assertTrue(refusing.get().channel.closeFuture().await(10, TimeUnit.SECONDS),
                "the client closed the refusing connection once its request had ended");
        assertEquals(2, server.connections.size());
    }

    @Test
    void spec68_overloadedEveryTimeFailsClearlyAfterBoundedRetries() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        server = FakeFcgiServer.tcp(r -> {
            calls.incrementAndGet();
            r.end(0, FcgiProtocolStatus.OVERLOADED);
        });
        client(b -> b.multiplexing(Multiplexing.OFF));

        Throwable e = failure(client.send(FcgiClientRequest.get("/p.php", "")));
        FcgiRequestRefusedException refused = assertInstanceOf(FcgiRequestRefusedException.class, e);
        assertEquals(FcgiProtocolStatus.OVERLOADED, refused.protocolStatus());
        assertTrue(refused.getMessage().contains("after 4 attempts"), refused.getMessage());
        assertEquals(1 + FcgiClient.MAX_REFUSAL_RETRIES, calls.get());
    }

    @Test
    void spec68_refusedRequestWithAStreamBodyIsNotSentAgain() throws Exception {
        server = FakeFcgiServer.tcp(r -> r.end(0, FcgiProtocolStatus.OVERLOADED));
        client(b -> b.multiplexing(Multiplexing.OFF));

        Throwable e = failure(client.send(FcgiClientRequest.builder()
                .body(new ByteArrayInputStream(new byte[100])).build()));
        assertInstanceOf(FcgiRequestRefusedException.class, e);
        assertTrue(e.getMessage().contains("cannot be sent again"), e.getMessage());
        assertEquals(1, server.requests.size());
    }

    @Test
    void spec68_cantMpxConnIsRetriedOnAnotherConnection() throws Exception {
        server = FakeFcgiServer.tcp(FakeFcgiServer.silent());
        client(b -> b.multiplexing(Multiplexing.ON).maxConnections(2));

        CompletableFuture<FcgiClientResponse> first = client.send(FcgiClientRequest.get("/a.php", ""));
        FakeRequest r1 = server.nextRequest();
        CompletableFuture<FcgiClientResponse> second = client.send(FcgiClientRequest.get("/b.php", ""));
        FakeRequest refused = server.nextRequest();
        assertEquals(1, refused.connection.index);
        assertEquals(2, refused.id);
        refused.end(0, FcgiProtocolStatus.CANT_MPX_CONN);

        FakeRequest retried = server.nextRequest();
        assertEquals(2, retried.connection.index, "retried on a new connection");
        assertEquals(1, retried.id);
        assertEquals("/b.php", retried.param("SCRIPT_NAME"));
        r1.respond(OK);
        retried.respond(OK);
        assertEquals("ok", body(get(first)));
        assertEquals("ok", body(get(second)));
        assertEquals(1, client.pool.capacity(), "one request per connection from now on");
    }

    @Test
    void spec68_unknownRoleFailsWithAClearException() throws Exception {
        server = FakeFcgiServer.tcp(r -> r.end(0, FcgiProtocolStatus.UNKNOWN_ROLE));
        client(b -> b.multiplexing(Multiplexing.OFF));

        Throwable e = failure(client.send(FcgiClientRequest.builder().role(FcgiRole.AUTHORIZER).build()));
        FcgiRequestRefusedException refused = assertInstanceOf(FcgiRequestRefusedException.class, e);
        assertEquals(FcgiProtocolStatus.UNKNOWN_ROLE, refused.protocolStatus());
        assertTrue(e.getMessage().contains("does not play role AUTHORIZER"), e.getMessage());
        assertEquals(1, server.requests.size(), "not retried");

        assertEquals(FcgiProtocolStatus.UNKNOWN_ROLE, ((FcgiRequestRefusedException) failure(client.send(
                FcgiClientRequest.builder().build()))).protocolStatus(), "the connection stays usable");
        assertEquals(1, server.connections.size());
    }

    @Test
    void spec68_anyAppStatusIsReportedAndIsNotAFailure() throws Exception {
        server = FakeFcgiServer.tcp(r -> r.stdout("Status: 500 Boom\r\n\r\nfailed").endStdout());
        client(b -> b.multiplexing(Multiplexing.OFF));

        FcgiClientResponse response = get(client.send(FcgiClientRequest.get("/a.php", "")));
        assertThrows(IllegalStateException.class, response::appStatus, "not ended before END_REQUEST");
        server.nextRequest().end(255, FcgiProtocolStatus.REQUEST_COMPLETE);
        assertEquals(500, response.status());
        assertEquals("Boom", response.reason());
        assertEquals("failed", body(response));
        assertEquals(255, response.appStatus());
        assertEquals(FcgiProtocolStatus.REQUEST_COMPLETE, response.protocolStatus());
        assertEquals(255, get(response.end()).appStatus());
    }

    // ---- 69: a kept connection closed by the application is dialled again ----------------------------------------

    /** Like php-fpm at pm.max_requests: connection 1 serves one request and dies when the next one starts. */
    private void closeConnection1OnItsSecondRequest() {
        AtomicInteger begins = new AtomicInteger();
        server.onBegin = r -> {
            if (r.connection.index == 1 && begins.incrementAndGet() == 2) {
                r.connection.channel.close();
            }
        };
    }

    @Test
    void spec69_requestCaughtByTheCloseOfAReusedConnectionIsSentAgainOnANewOne() throws Exception {
        server = FakeFcgiServer.tcp(FakeFcgiServer.answering(OK));
        closeConnection1OnItsSecondRequest();
        client(b -> b.multiplexing(Multiplexing.OFF).maxConnections(1));

        assertEquals("ok", body(get(client.send(FcgiClientRequest.get("/a.php", "")))));
        assertEquals("ok", body(get(client.send(FcgiClientRequest.post("/b.php", "text/plain", new byte[5])))));

        assertEquals(2, server.connections.size());
        assertTrue(server.connection(1).log.contains("BEGIN 1 RESPONDER keep"));
        List<String> again = server.connection(2).wireOf(1);
        assertEquals(List.of("STDIN:5", "STDIN:0"), again.subList(again.size() - 2, again.size()),
                "the whole request was sent again: " + again);
    }

    @Test
    void spec69_streamBodyCaughtByTheCloseIsNotSentAgain() throws Exception {
        server = FakeFcgiServer.tcp(FakeFcgiServer.answering(OK));
        closeConnection1OnItsSecondRequest();
        client(b -> b.multiplexing(Multiplexing.OFF).maxConnections(1));

        assertEquals("ok", body(get(client.send(FcgiClientRequest.get("/a.php", "")))));
        Throwable e = failure(client.send(FcgiClientRequest.builder()
                .body(new ByteArrayInputStream(new byte[5])).build()));
        assertInstanceOf(FcgiClientException.class, e);
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertEquals("ok", body(get(client.send(FcgiClientRequest.get("/c.php", "")))), "next request redials");
    }

    @Test
    void spec69_closeOfAFreshConnectionIsNotRetried() throws Exception {
        server = FakeFcgiServer.tcp(FakeFcgiServer.answering(OK));
        server.onBegin = r -> r.connection.channel.close();
        client(b -> b.multiplexing(Multiplexing.OFF));

        Throwable e = failure(client.send(FcgiClientRequest.get("/a.php", "")));
        assertTrue(e.getMessage().contains("closed by the application before request id 1 ended"), e.getMessage());
        assertEquals(1, server.connections.size());
    }

    @Test
    void spec69_idleConnectionClosedByTheAppIsNotUsedAgain() throws Exception {
        server = FakeFcgiServer.tcp(r -> {
            r.respond(OK);
            r.connection.channel.close();
        });
        client(b -> b.multiplexing(Multiplexing.OFF).maxConnections(1));

        assertEquals("ok", body(get(client.send(FcgiClientRequest.get("/a.php", "")))));
        Await.until("the client noticed the close", () -> client.pool.connectionCount() == 0);
        assertEquals("ok", body(get(client.send(FcgiClientRequest.get("/b.php", "")))));
        assertEquals(2, server.connections.size());
        assertEquals(List.of("BEGIN:8", "PARAMS:" + server.connection(2).wire.get(1).contentLength(), "PARAMS:0",
                "STDIN:0"), server.connection(2).wireOf(1));
    }

    // ---- 70: cancel -> ABORT_REQUEST when shared, else close ------------------------------------------------------

    @Test
    void spec70_cancelSendsAbortRequestWhenOtherRequestsShareTheConnection() throws Exception {
        server = FakeFcgiServer.tcp(FakeFcgiServer.silent());
        client(b -> b.multiplexing(Multiplexing.ON).maxConnections(1));

        CompletableFuture<FcgiClientResponse> first = client.send(FcgiClientRequest.get("/a.php", ""));
        FakeRequest r1 = server.nextRequest();
        CompletableFuture<FcgiClientResponse> second = client.send(FcgiClientRequest.get("/b.php", ""));
        FakeRequest r2 = server.nextRequest();

        assertTrue(first.cancel(true));
        server.await("ABORT_REQUEST for request 1", () -> server.connection(1).log.contains("ABORT " + r1.id));
        assertTrue(r1.aborted);
        r2.respond(OK);
        assertEquals("ok", body(get(second)));

        CompletableFuture<FcgiClientResponse> third = client.send(FcgiClientRequest.get("/c.php", ""));
        FakeRequest r3 = server.nextRequest();
        assertEquals(1, r3.id, "id 1 was freed by the END_REQUEST answering the abort");
        r3.respond(OK);
        assertEquals("ok", body(get(third)));
        assertEquals(1, server.connections.size());
        assertFalse(server.connection(1).isClosed());
    }

    @Test
    void spec70_cancelClosesTheConnectionWhenTheRequestIsAlone() throws Exception {
        server = FakeFcgiServer.tcp(FakeFcgiServer.silent());
        client(b -> b.multiplexing(Multiplexing.OFF));

        CompletableFuture<FcgiClientResponse> first = client.send(FcgiClientRequest.get("/a.php", ""));
        server.nextRequest();
        assertTrue(first.cancel(true));
        server.await("connection closed", () -> server.connection(1).isClosed());
        assertFalse(server.connection(1).log.stream().anyMatch(l -> l.startsWith("ABORT")));
    }

    @Test
    void spec70_closingTheResponseBeforeItsEndAbortsTheRequest() throws Exception {
        server = FakeFcgiServer.tcp(FakeFcgiServer.silent());
        server.onAbort = r -> { };
        client(b -> b.multiplexing(Multiplexing.ON).maxConnections(1));

        CompletableFuture<FcgiClientResponse> first = client.send(FcgiClientRequest.get("/a.php", ""));
        FakeRequest r1 = server.nextRequest();
        CompletableFuture<FcgiClientResponse> second = client.send(FcgiClientRequest.get("/b.php", ""));
        FakeRequest r2 = server.nextRequest();
        r1.stdout("Content-Type: text/plain\r\n\r\npart of the body");
        FcgiClientResponse response = get(first);
        byte[] start = new byte[4];
        assertEquals(4, response.body().read(start));

        response.close();
        server.await("ABORT_REQUEST", () -> server.connection(1).log.contains("ABORT 1"));
        r1.stdout("late bytes are discarded").endStdout().end(0, FcgiProtocolStatus.REQUEST_COMPLETE);
        r2.respond(OK);
        assertEquals("ok", body(get(second)));
        Throwable e = failure(response.end());
        assertTrue(e.getMessage().contains("closed by the caller"), e.getMessage());
    }

    @Test
    void spec70_abortedRequestWithoutEndRequestClosesTheConnectionAfterAbortTimeout() throws Exception {
        server = FakeFcgiServer.tcp(FakeFcgiServer.silent());
        server.onAbort = r -> { };
        client(b -> b.multiplexing(Multiplexing.ON).maxConnections(1).abortTimeout(java.time.Duration.ofMillis(100)));

        CompletableFuture<FcgiClientResponse> first = client.send(FcgiClientRequest.get("/a.php", ""));
        server.nextRequest();
        CompletableFuture<FcgiClientResponse> second = client.send(FcgiClientRequest.get("/b.php", ""));
        server.nextRequest();
        first.cancel(true);
        server.await("connection closed after the abort timeout", () -> server.connection(1).isClosed());
        assertTrue(server.connection(1).log.contains("ABORT 1"));
        assertTrue(failure(second).getMessage().contains("before request id 2 ended"));
    }

    // ---- 71: padding skipped, unexpected record types logged and ignored -----------------------------------------

    @Test
    void spec71_paddingIsSkippedAndUnexpectedRecordsAreIgnored() throws Exception {
        server = FakeFcgiServer.tcp(r -> {
            byte[] headers = "Content-Type: text/plain\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
            r.connection.writeRaw(record(6, 1, headers, 255, (byte) 0xAA));           // STDOUT, 255 bytes of padding
            r.connection.writeRaw(record(20, 1, new byte[]{1, 2, 3}, 5, (byte) 0x55));   // type 20: unknown
            r.connection.writeRaw(record(20, 0, new byte[0], 0, (byte) 0));            // unknown management type
            r.connection.writeRaw(record(4, 1, new byte[]{0, 0}, 0, (byte) 0));        // PARAMS: app to server only
            r.connection.writeRaw(record(10, 0, new byte[]{1, 1, 'A', 'B'}, 4, (byte) 0)); // unasked GET_VALUES_RESULT
            r.connection.writeRaw(record(11, 0, new byte[8], 0, (byte) 0));            // UNKNOWN_TYPE
            r.connection.writeRaw(record(6, 1, "body".getBytes(StandardCharsets.US_ASCII), 3, (byte) 0xFF));
            r.endStdout();
            r.end(0, FcgiProtocolStatus.REQUEST_COMPLETE);
        });
        client(b -> b.multiplexing(Multiplexing.OFF));

        FcgiClientResponse response = get(client.send(FcgiClientRequest.get("/a.php", "")));
        assertEquals("text/plain", response.header("content-type"));
        assertEquals("body", body(response));
        assertEquals("body", body(get(client.send(FcgiClientRequest.get("/a.php", "")))));
        assertEquals(1, server.connections.size(), "ignored records do not close the connection: " + server.connections);
    }

    // ---- a peer that breaks the protocol -------------------------------------------------------------------------

    @Test
    void badVersionFailsTheRequestsOfThatConnectionAndLeavesOthersAlone() throws Exception {
        server = FakeFcgiServer.tcp(FakeFcgiServer.silent());
        client(b -> b.multiplexing(Multiplexing.OFF).maxConnections(2));

        CompletableFuture<FcgiClientResponse> first = client.send(FcgiClientRequest.get("/a.php", ""));
        FakeRequest r1 = server.nextRequest();
        CompletableFuture<FcgiClientResponse> second = client.send(FcgiClientRequest.get("/b.php", ""));
        FakeRequest r2 = server.nextRequest();
        assertEquals(2, r2.connection.index);

        byte[] bad = record(6, 1, "Status: 200\r\n\r\n".getBytes(StandardCharsets.US_ASCII), 0, (byte) 0);
        bad[0] = 2;
        r1.connection.writeRaw(bad);
        Throwable e = failure(first);
        assertInstanceOf(FcgiClientException.class, e);
        assertInstanceOf(FcgiProtocolException.class, e.getCause());
        assertTrue(e.getMessage().contains("version: 2"), e.getMessage());
        server.await("connection 1 closed", () -> server.connection(1).isClosed());

        r2.respond(OK);
        assertEquals("ok", body(get(second)));
        assertFalse(server.connection(2).isClosed());
    }

    @Test
    void stdoutForARequestIdNotInProgressFailsAndClosesTheConnection() throws Exception {
        server = FakeFcgiServer.tcp(r -> r.connection.writeRaw(record(6, 9, "x".getBytes(StandardCharsets.US_ASCII),
                0, (byte) 0)));
        client(b -> b.multiplexing(Multiplexing.OFF));

        Throwable e = failure(client.send(FcgiClientRequest.get("/a.php", "")));
        assertTrue(e.getMessage().contains("STDOUT for request id 9, which has no request in progress"),
                e.getMessage());
        server.await("connection closed", () -> server.connection(1).isClosed());
    }

    @Test
    void endRequestWithoutBeginRequestFailsAndClosesTheConnection() throws Exception {
        server = FakeFcgiServer.tcp(r -> r.connection.writeRaw(record(3, 5, new byte[8], 0, (byte) 0)));
        client(b -> b.multiplexing(Multiplexing.OFF));

        Throwable e = failure(client.send(FcgiClientRequest.get("/a.php", "")));
        assertTrue(e.getMessage().contains("END_REQUEST for request id 5"), e.getMessage());
        server.await("connection closed", () -> server.connection(1).isClosed());
    }

    @Test
    void headerBlockOverTheLimitFailsTheRequest() throws Exception {
        server = FakeFcgiServer.tcp(r -> r.stdout("X-Long: " + "a".repeat(300) + "\r\n\r\nbody"));
        client(b -> b.multiplexing(Multiplexing.OFF).maxResponseHeaderLength(200));

        Throwable e = failure(client.send(FcgiClientRequest.get("/a.php", "")));
        assertTrue(e.getMessage().contains("CGI response header block too long: more than 200 bytes"),
                e.getMessage());
        server.await("connection closed", () -> server.connection(1).isClosed());
    }

    @Test
    void malformedHeaderFailsTheRequest() throws Exception {
        server = FakeFcgiServer.tcp(r -> r.stdout("this line has no colon\r\n\r\n"));
        client(b -> b.multiplexing(Multiplexing.OFF));

        Throwable e = failure(client.send(FcgiClientRequest.get("/a.php", "")));
        assertTrue(e.getMessage().contains("malformed CGI response header line: \"this line has no colon\""),
                e.getMessage());
    }

    @Test
    void malformedHeaderOnASharedConnectionAbortsOnlyThatRequest() throws Exception {
        server = FakeFcgiServer.tcp(FakeFcgiServer.silent());
        client(b -> b.multiplexing(Multiplexing.ON).maxConnections(1));

        CompletableFuture<FcgiClientResponse> first = client.send(FcgiClientRequest.get("/a.php", ""));
        FakeRequest r1 = server.nextRequest();
        CompletableFuture<FcgiClientResponse> second = client.send(FcgiClientRequest.get("/b.php", ""));
        FakeRequest r2 = server.nextRequest();
        r1.stdout("Status: abc\r\n\r\n");
        assertTrue(failure(first).getMessage().contains("malformed CGI Status header"));
        server.await("ABORT_REQUEST", () -> server.connection(1).log.contains("ABORT 1"));
        r2.respond(OK);
        assertEquals("ok", body(get(second)));
    }

    @Test
    void endRequestWithoutAnyHeaderBlockFailsWithTheStderr() throws Exception {
        server = FakeFcgiServer.tcp(r -> r.stderr("PHP Fatal error: oops").endStdout()
                .end(1, FcgiProtocolStatus.REQUEST_COMPLETE));
        client(b -> b.multiplexing(Multiplexing.OFF));

        Throwable e = failure(client.send(FcgiClientRequest.get("/a.php", "")));
        assertTrue(e.getMessage().contains("without a complete CGI header block (0 bytes of STDOUT, appStatus 1"),
                e.getMessage());
        assertTrue(e.getMessage().contains("PHP Fatal error: oops"), e.getMessage());
        assertFalse(server.connection(1).isClosed(), "a well-framed but empty answer keeps the connection");
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    /** A wire record with the given padding filled with {@code padByte}. */
    static byte[] record(int type, int id, byte[] content, int padding, byte padByte) {
        byte[] out = new byte[8 + content.length + padding];
        out[0] = 1;
        out[1] = (byte) type;
        out[2] = (byte) (id >> 8);
        out[3] = (byte) id;
        out[4] = (byte) (content.length >> 8);
        out[5] = (byte) content.length;
        out[6] = (byte) padding;
        System.arraycopy(content, 0, out, 8, content.length);
        Arrays.fill(out, 8 + content.length, out.length, padByte);
        return out;
    }

    static byte[] pattern(int length) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) (i % 251);
        }
        return bytes;
    }

    static String sha256(byte[] bytes) {
        return java.util.HexFormat.of().formatHex(FakeFcgiServer.sha256().digest(bytes));
    }

    private static int indexOfPrefix(List<String> list, String prefix) {
        for (int i = 0; i < list.size(); i++) {
            if (list.get(i).startsWith(prefix)) {
                return i;
            }
        }
        return -1;
    }

    private static int sumOf(List<String> wire, String prefix) {
        int sum = 0;
        for (String r : wire) {
            if (r.startsWith(prefix)) {
                sum += Integer.parseInt(r.substring(prefix.length()));
            }
        }
        return sum;
    }
}
