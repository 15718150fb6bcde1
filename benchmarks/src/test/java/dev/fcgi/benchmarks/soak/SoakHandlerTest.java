package dev.fcgi.benchmarks.soak;

import dev.fcgi.protocol.client.FcgiClient;
import dev.fcgi.protocol.client.FcgiClientRequest;
import dev.fcgi.protocol.client.FcgiClientResponse;
import dev.fcgi.protocol.server.FcgiServer;
import dev.fcgi.protocol.testing.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link SoakHandler} in an in-process {@link FcgiServer}, called through {@link ClientRoute}: every FcgiClient kind
 * passes {@link AnswerCheck}, the aborts end as such, a header that names another id is refused, and the totals
 * count all of it. (The counts are the JVM's, so the test compares differences.)
 */
@Timeout(60)
class SoakHandlerTest {

    private FcgiServer server;

    @AfterEach
    void tearDown() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void everyKindOfCallIsAnsweredAndChecked() throws Exception {
        server = FcgiServer.builder().listen("127.0.0.1:0").handler(new SoakHandler()).build().start();
        SoakTotals before = SoakHandler.totals();
        SplittableRandom random = new SplittableRandom(3);
        long id = 1_000_000;
        int answered = 0;
        int aborted = 0;
        try (ClientRoute route = new ClientRoute(server.localAddress(), 2, Duration.ofSeconds(30))) {
            for (SoakKind kind : SoakKind.of(SoakKind.Route.CLIENT)) {
                Outcome outcome = route.run(kind.call(++id, random), kind, 50);
                if (kind.abort() == SoakKind.Abort.NONE) {
                    assertEquals(Outcome.OK, outcome, kind.label());
                    answered++;
                } else {
                    assertEquals(Outcome.ABORTED, outcome, kind.label());
                    aborted++;
                }
            }
        }
        int expectedAborts = aborted;
        Await.until(Duration.ofSeconds(30), () -> SoakHandler.totals().abortsSeen() - before.abortsSeen()
                == expectedAborts, () -> "both aborts seen by the handler: " + SoakHandler.totals());
        SoakTotals after = SoakHandler.totals();
        assertEquals(answered, after.answered() - before.answered());
        assertEquals(aborted, after.abortCalls() - before.abortCalls());
        assertEquals(0, after.unfinished() - before.unfinished());
    }

    @Test
    void aCallWhoseHeaderNamesAnotherIdIsRefused() throws Exception {
        server = FcgiServer.builder().listen("127.0.0.1:0").handler(new SoakHandler()).build().start();
        SoakTotals before = SoakHandler.totals();
        SoakCall call = new SoakCall(5, "get", 0, 10, 0, 0, false, false);
        try (FcgiClient client = FcgiClient.builder().address(server.localAddress()).build();
             FcgiClientResponse response = client.send(FcgiClientRequest.builder()
                     .cgi("GET", "/srv/soak/soak", call.query()).param("HTTP_X_SOAK_ID", "6").build())
                     .get(30, TimeUnit.SECONDS)) {
            assertEquals(400, response.status());
            assertTrue(response.bodyAsString().startsWith("id 5 in the query, 6 in the header"));
        }
        assertEquals(1, SoakHandler.totals().rejected() - before.rejected());
    }
}
