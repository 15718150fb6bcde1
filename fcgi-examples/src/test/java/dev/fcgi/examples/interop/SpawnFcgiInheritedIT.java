package dev.fcgi.examples.interop;

import dev.fcgi.protocol.testing.Await;
import dev.fcgi.protocol.testing.CgiResponse;
import dev.fcgi.protocol.testing.ExternalTools;
import dev.fcgi.protocol.testing.FreePorts;
import dev.fcgi.protocol.testing.ManagedProcess;
import dev.fcgi.protocol.testing.NginxProcess;
import dev.fcgi.protocol.testing.Sha256;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Spec item 44 (FCGI_LISTENSOCK_FILENO): {@code spawn-fcgi -n -a 127.0.0.1 -p PORT -- java -jar
 * fcgi-examples.jar echo --inherited} binds the socket, passes it as file descriptor 0 and execs the JVM, which
 * must accept on it. cgi-fcgi and then nginx get correct answers through it. The JVM is stopped by its PID.
 */
class SpawnFcgiInheritedIT {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void echoAcceptsOnTheSocketPassedAsFdZero(@TempDir Path dir) throws Exception {
        String spawnFcgi = ExternalTools.require("spawn-fcgi");
        String cgiFcgi = ExternalTools.require("cgi-fcgi");
        String env = ExternalTools.require("env");
        Path jar = ExamplesJar.require();

        ManagedProcess app = null;
        try {
            Spawned spawned = spawn(spawnFcgi, jar, dir, Map.of());
            app = spawned.process();
            ManagedProcess echo = app;
            int port = spawned.port();

            // spawn-fcgi -n execs the application: the process we started is now the JVM itself
            String command = ProcessHandle.of(echo.pid()).flatMap(h -> h.info().command()).orElse("");
            assertTrue(command.endsWith("/java"), "process " + echo.pid() + " runs " + command);
            assertEquals("echo: listening on [/127.0.0.1:" + port + "]", echo.stdout().strip(), echo::describe);
            assertTrue(echo.stderr().contains("listening on the inherited socket 127.0.0.1:" + port), echo::describe);

            // cgi-fcgi, the libfcgi reference client, with a body
            byte[] body = new byte[100_000];
            new Random(44).nextBytes(body);
            Path bodyFile = dir.resolve("body.bin");
            Files.write(bodyFile, body);
            try (ManagedProcess client = ManagedProcess.start("cgi-fcgi", List.of(env, "-i", "REQUEST_METHOD=PUT",
                    "CONTENT_LENGTH=" + body.length, "REQUEST_URI=/spawned", cgiFcgi, "-bind", "-connect",
                    "127.0.0.1:" + port), dir, Map.of(), false, bodyFile)) {
                assertEquals(0, client.waitFor(Duration.ofSeconds(60)), client::describe);
                CgiResponse response = CgiResponse.parse(client.stdoutBytes());
                assertEquals("Status: 200 OK", response.headerLines().get(0));
                assertEquals("application/json", response.header("Content-Type"));
                EchoReply reply = EchoReply.parse(response.bodyText());
                assertEquals(Map.of("REQUEST_METHOD", "PUT", "CONTENT_LENGTH", Integer.toString(body.length),
                        "REQUEST_URI", "/spawned"), reply.paramMap());
                assertEquals(body.length, reply.stdinLength());
                assertEquals(Sha256.hex(body), reply.stdinSha256());
            }

            // nginx with a keep-alive upstream pool, twice on the same connection
            try (NginxProcess nginx = NginxProcess.builder(dir.resolve("nginx")).upstream("127.0.0.1:" + port)
                    .keepConn(true).start();
                 HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                         .connectTimeout(Duration.ofSeconds(10)).build()) {
                for (int i = 0; i < 2; i++) {
                    HttpResponse<String> response = http.send(HttpRequest.newBuilder(nginx.uri("/via-nginx?i=" + i))
                            .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
                    assertEquals(200, response.statusCode(), () -> response.body() + "\n" + nginx.describe());
                    EchoReply reply = EchoReply.parse(response.body());
                    assertEquals("GET", reply.param("REQUEST_METHOD"));
                    assertEquals("/via-nginx?i=" + i, reply.param("REQUEST_URI"));
                    assertTrue(reply.keepConn());
                    assertEquals(0, reply.stdinLength());
                }
                assertEquals(List.of(), EchoNginx.errors(nginx), nginx::describe);
            }
        } finally {
            if (app != null) {
                app.close();
                assertFalse(app.isAlive(), "the echo JVM stopped by PID " + app.pid());
            }
        }
    }
    /**
     * Spec item 44's SHOULD: with FCGI_WEB_SERVER_ADDRS in its environment, the application closes connections
     * from other addresses. Here only 192.0.2.1 (TEST-NET-1, never contacted) is allowed, so cgi-fcgi from
     * 127.0.0.1 gets no answer; with 127.0.0.1 in the list it gets one.
     */
    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void webServerAddrsRestrictsClients(@TempDir Path dir) throws Exception {
        String spawnFcgi = ExternalTools.require("spawn-fcgi");
        String cgiFcgi = ExternalTools.require("cgi-fcgi");
        String env = ExternalTools.require("env");
        Path jar = ExamplesJar.require();

        Spawned deniedSpawn = spawn(spawnFcgi, jar, dir.resolve("denied"), Map.of("FCGI_WEB_SERVER_ADDRS", "192.0.2.1"));
        try (ManagedProcess denied = deniedSpawn.process()) {
            try (ManagedProcess client = ManagedProcess.start("cgi-fcgi", List.of(env, "-i", "REQUEST_METHOD=GET",
                    cgiFcgi, "-bind", "-connect", "127.0.0.1:" + deniedSpawn.port()), dir.resolve("denied"))) {
                int exit = client.waitFor(Duration.ofSeconds(60));
                // cgi-fcgi exits with the errno of the failed read or write (ECONNRESET, EPIPE)
                assertTrue(exit != 0, () -> "cgi-fcgi exit code " + exit + "\n" + client.describe());
                assertEquals("", client.stdout(), "no answer to a client that is not allowed");
            }
            Await.until(Duration.ofSeconds(10), () -> denied.stderr().contains("refused: not in the allowed clients"),
                    denied::describe);
        }
        Spawned allowedSpawn = spawn(spawnFcgi, jar, dir.resolve("allowed"),
                Map.of("FCGI_WEB_SERVER_ADDRS", "192.0.2.1,127.0.0.1"));
        try (ManagedProcess allowed = allowedSpawn.process()) {
            try (ManagedProcess client = ManagedProcess.start("cgi-fcgi", List.of(env, "-i", "REQUEST_METHOD=GET",
                    cgiFcgi, "-bind", "-connect", "127.0.0.1:" + allowedSpawn.port()), dir.resolve("allowed"))) {
                assertEquals(0, client.waitFor(Duration.ofSeconds(60)), client::describe);
                CgiResponse response = CgiResponse.parse(client.stdoutBytes());
                assertEquals("Status: 200 OK", response.headerLines().get(0));
                assertEquals(Map.of("REQUEST_METHOD", "GET"), EchoReply.parse(response.bodyText()).paramMap());
            }
        }
    }

    /**
     * Starts {@code spawn-fcgi -n -a 127.0.0.1 -p PORT -- java -jar fcgi-examples.jar echo --inherited} and waits
     * until the echo JVM says it listens; tries another port when the one found free was taken meanwhile.
     */
    private record Spawned(ManagedProcess process, int port) {
    }

    private static Spawned spawn(String spawnFcgi, Path jar, Path dir, Map<String, String> environment)
            throws Exception {
        Files.createDirectories(dir);
        for (int attempt = 1; attempt <= 3; attempt++) {
            int port = FreePorts.find();
            ManagedProcess started = ManagedProcess.start("spawn-fcgi-" + attempt, List.of(spawnFcgi, "-n",
                    "-a", "127.0.0.1", "-p", Integer.toString(port), "--",
                    ManagedProcess.javaCommand(), "-Xmx128m", "-jar", jar.toString(), "echo", "--inherited"), dir,
                    environment, false, null);
            try {
                Await.until(START_TIMEOUT, () -> !started.isAlive() || started.stdout().contains("echo: listening"),
                        () -> "the echo JVM started by spawn-fcgi\n" + started.describe());
            } catch (AssertionError e) {
                started.close();
                throw e;
            }
            if (started.isAlive()) {
                return new Spawned(started, port);
            }
            if (!started.stderr().contains("Address already in use")) {
                throw new AssertionError("spawn-fcgi failed\n" + started.describe());
            }
        }
        throw new AssertionError("spawn-fcgi could not bind a free port in 3 attempts");
    }
}
