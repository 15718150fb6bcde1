package dev.fcgi.examples.embed;

import dev.fcgi.protocol.FcgiTransport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The embedding example: HTTP through the gateway to the pool on its Unix socket, and the pool's status page. */
class EmbedExampleTest {

    @Test
    void httpThroughTheGatewayToThePool(@TempDir Path dir) throws Exception {
        try (EmbedExample app = EmbedExample.start(dir, "127.0.0.1:0");
             HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            String base = "http://" + FcgiTransport.formatAddress(app.gateway().localAddress());
            HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create(base + "/anything?x=1"))
                    .POST(HttpRequest.BodyPublishers.ofString("hello")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, post.statusCode());
            assertTrue(post.body().startsWith("POST /anything?x=1\n"), post.body());
            assertTrue(post.body().contains("body: 5 bytes, sha256 "
                    + "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"), post.body());
            HttpResponse<String> status = http.send(HttpRequest.newBuilder(URI.create(base + "/status")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertTrue(status.body().startsWith("pool:                 app\n"), status.body());
        }
    }
}
