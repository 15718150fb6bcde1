package dev.fcgi.examples.cookbook;

import dev.fcgi.pool.FcgiPool;
import dev.fcgi.protocol.client.FcgiClient;
import dev.fcgi.protocol.client.FcgiClientRequest;
import dev.fcgi.protocol.client.FcgiClientResponse;
import dev.fcgi.protocol.server.FcgiHandler;
import dev.fcgi.protocol.server.FcgiServer;
import dev.fcgi.protocol.testing.Await;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs each cookbook example behind our server and checks what it answers. */
class CookbookExamplesTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private static FcgiServer serve(FcgiHandler handler) throws Exception {
        return FcgiServer.builder().listen("127.0.0.1:0").handler(handler).build().start();
    }

    private static FcgiClient client(FcgiServer server) {
        return FcgiClient.builder().address(server.localAddress()).build();
    }

    @Test
    @DisplayName("RequestExample: params, headers and a 3 MiB POST body")
    void request() throws Exception {
        byte[] body = new byte[3 << 20];
        new Random(1).nextBytes(body);
        try (FcgiServer server = serve(new RequestExample()); FcgiClient client = client(server)) {
            FcgiClientRequest post = FcgiClientRequest.builder().cgi("POST", "/srv/app/upload", "")
                    .param("REQUEST_URI", "/upload?x=1").param("REMOTE_ADDR", "192.0.2.7")
                    .param("HTTP_USER_AGENT", "curl/8").param("HTTP_COOKIE", "a=1; b=2").body(body).build();
            try (FcgiClientResponse response = client.send(post).get(30, TimeUnit.SECONDS)) {
                assertEquals(200, response.status());
                assertEquals("request", response.header("X-Example"));
                assertEquals("POST /upload?x=1\nscript: /srv/app/upload\nfrom: 192.0.2.7\nuser-agent: curl/8\n"
                        + "cookie: a=1; b=2\nbody: " + body.length + " bytes, sha256 " + sha256(body) + "\n",
                        response.bodyAsString());
            }
        }
    }

    @Test
    @DisplayName("StreamingExample: 200,000 lines streamed, checked line by line")
    void streaming() throws Exception {
        try (FcgiServer server = serve(new StreamingExample()); FcgiClient client = client(server);
             FcgiClientResponse response = client.send(FcgiClientRequest.get("/stream", "lines=200000"))
                     .get(30, TimeUnit.SECONDS)) {
            MessageDigest expected = MessageDigest.getInstance("SHA-256");
            for (long i = 1; i <= 200_000; i++) {
                expected.update(String.format("%09d the quick brown fox jumps over the lazy dog%n", i).getBytes(UTF_8));
            }
            MessageDigest got = MessageDigest.getInstance("SHA-256");
            long length = 0;
            try (InputStream in = response.body()) {
                byte[] buffer = new byte[64 * 1024];
                for (int n; (n = in.read(buffer)) >= 0; length += n) {
                    got.update(buffer, 0, n);
                }
            }
            assertEquals(200_000L * 54, length);
            assertEquals(HexFormat.of().formatHex(expected.digest()), HexFormat.of().formatHex(got.digest()));
        }
    }

    @Test
    @DisplayName("FinishExample: the answer arrives first, the background work follows")
    void finish() throws Exception {
        FinishExample handler = new FinishExample();
        try (FcgiServer server = serve(handler); FcgiClient client = client(server);
             FcgiClientResponse response = client.send(FcgiClientRequest.builder().cgi("GET", "/job", "")
                     .param("REQUEST_URI", "/job?id=9").build()).get(30, TimeUnit.SECONDS)) {
            assertEquals(202, response.status());
            assertEquals("accepted\n", response.bodyAsString());
            assertEquals("processed /job?id=9", handler.audit.poll(30, TimeUnit.SECONDS));
        }
    }

    @Test
    @DisplayName("QueueDepthStrategy: one worker per queued request up to max, back to min when idle")
    void customStrategy() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        FcgiPool pool = FcgiPool.builder("www").strategy(new QueueDepthStrategy(1, 4))
                .heartbeat(Duration.ofMillis(50))
                .handler(() -> (request, response) -> {
                    release.await(30, TimeUnit.SECONDS);
                    response.body().write("done".getBytes(UTF_8));
                })
                .build().start();
        try (pool; FcgiServer server = FcgiServer.builder().listen("127.0.0.1:0").handler(pool.handler())
                .dispatcher(pool).build().start(); FcgiClient client = client(server)) {
            assertEquals(1, pool.snapshot().total());
            List<CompletableFuture<FcgiClientResponse>> held = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                held.add(client.send(FcgiClientRequest.get("/work", "i=" + i)));
            }
            Await.until(WAIT, () -> pool.snapshot().active() == 4, () -> "4 busy workers: " + pool.snapshot());
            release.countDown();
            for (CompletableFuture<FcgiClientResponse> f : held) {
                try (FcgiClientResponse r = f.get(30, TimeUnit.SECONDS)) {
                    assertEquals("done", r.bodyAsString());
                }
            }
            Await.until(WAIT, () -> pool.snapshot().total() == 1, () -> "back to min: " + pool.snapshot());
            assertTrue(pool.status().maxActiveProcesses() >= 4, () -> "max active " + pool.status());
        }
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
