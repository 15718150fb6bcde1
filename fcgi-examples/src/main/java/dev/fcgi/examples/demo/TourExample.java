package dev.fcgi.examples.demo;

import dev.fcgi.examples.echo.EchoHandler;
import dev.fcgi.protocol.FcgiConstants;
import dev.fcgi.protocol.FcgiTransport;
import dev.fcgi.protocol.client.FcgiClient;
import dev.fcgi.protocol.client.FcgiClientRequest;
import dev.fcgi.protocol.client.FcgiClientResponse;
import dev.fcgi.protocol.server.FcgiServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A tour of the client: starts the echo server on 127.0.0.1:9000 (another free port when 9000 is taken), talks to it
 * with {@link FcgiClient} (GET_VALUES, a GET, a 1 MB POST, 100 multiplexed requests on one connection, a streamed
 * 50 MB response), prints what to try with cgi-fcgi and nginx, and serves until stopped. {@code --exit} stops
 * after the tour.
 */
public final class TourExample {

    private TourExample() {
    }

    public static void main(String[] args) throws Exception {
        boolean exit = List.of(args).contains("--exit");
        FcgiServer server = start();
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "fcgi-shutdown"));
        tour(server, System.out);
        if (exit) {
            server.close();
            return;
        }
        server.awaitClose();
    }

    static FcgiServer start() throws IOException {
        try {
            return FcgiServer.builder().handler(new EchoHandler()).listen("127.0.0.1:9000").build().start();
        } catch (IOException e) {
            return FcgiServer.builder().handler(new EchoHandler()).listen("127.0.0.1:0").build().start();
        }
    }

    /** Talks to the server and prints each step; returns the number of steps that went wrong. */
    static int tour(FcgiServer server, PrintStream out) throws Exception {
        String address = FcgiTransport.formatAddress(server.localAddress());
        out.println();
        out.println("FastCGI echo server listening on " + address);
        int failures = 0;
        try (FcgiClient client = FcgiClient.builder().address(server.localAddress()).build()) {
            Map<String, String> values = client.getValues(FcgiConstants.MAX_CONNS, FcgiConstants.MAX_REQS,
                    FcgiConstants.MPXS_CONNS).get(10, TimeUnit.SECONDS);
            out.println("1. GET_VALUES                 -> " + values);

            try (FcgiClientResponse get = client.send(FcgiClientRequest.builder()
                    .cgi("GET", "/srv/demo/index", "greeting=hello").param("HTTP_USER_AGENT", "demo").build())
                    .get(10, TimeUnit.SECONDS)) {
                String json = get.bodyAsString();
                out.println("2. GET /index?greeting=hello  -> " + get.status() + " " + get.header("Content-Type")
                        + ", " + json.length() + " bytes of JSON: " + abbreviate(json, 110));
            }

            byte[] upload = new byte[1 << 20];
            new Random(42).nextBytes(upload);
            String uploadSha = sha256(upload);
            try (FcgiClientResponse post = client.send(FcgiClientRequest.post("/srv/demo/upload",
                    "application/octet-stream", upload)).get(10, TimeUnit.SECONDS)) {
                boolean match = post.bodyAsString().contains("\"sha256\":\"" + uploadSha + "\"");
                failures += match ? 0 : 1;
                out.println("3. POST 1 MiB                 -> " + post.status() + ", the server's SHA-256 of the body "
                        + (match ? "matches" : "DOES NOT match") + " the client's (" + uploadSha.substring(0, 16) + "...)");
            }

            List<CompletableFuture<FcgiClientResponse>> pending = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                pending.add(client.send(FcgiClientRequest.builder().cgi("GET", "/srv/demo/n", "n=" + i)
                        .param("ECHO_SLEEP_MS", "200").build()));
            }
            int ok = 0;
            for (CompletableFuture<FcgiClientResponse> future : pending) {
                try (FcgiClientResponse response = future.get(30, TimeUnit.SECONDS)) {
                    response.bodyAsBytes();
                    ok += response.status() == 200 ? 1 : 0;
                }
            }
            failures += ok == 100 ? 0 : 1;
            out.println("4. 100 concurrent requests     -> " + ok + "/100 answered (each waits 200 ms; multiplexed on "
                    + server.connectionCount() + " connection(s))");

            long size = 50L << 20;
            long started = System.nanoTime();
            try (FcgiClientResponse big = client.send(FcgiClientRequest.builder().cgi("GET", "/srv/demo/big", "")
                    .param("ECHO_BYTES", Long.toString(size)).build()).get(10, TimeUnit.SECONDS);
                 InputStream body = big.body()) {
                long read = body.transferTo(java.io.OutputStream.nullOutputStream());
                double seconds = (System.nanoTime() - started) / 1e9;
                failures += read == size ? 0 : 1;
                out.printf("5. 50 MiB streamed response   -> %d bytes in %.2f s (%.0f MiB/s)%n", read, seconds,
                        read / 1048576.0 / seconds);
            }
        }
        int port = server.localAddress() instanceof InetSocketAddress inet ? inet.getPort() : 9000;
        out.println();
        out.println("Try it yourself (libfcgi-bin's cgi-fcgi, or nginx with fastcgi_pass 127.0.0.1:" + port + "):");
        out.println("  REQUEST_METHOD=GET SCRIPT_FILENAME=/x QUERY_STRING=a=1 ECHO_STDERR=hi \\");
        out.println("    cgi-fcgi -bind -connect 127.0.0.1:" + port);
        out.println("Press Ctrl-C to stop.");
        return failures;
    }

    private static String abbreviate(String text, int max) {
        String line = text.strip();
        return line.length() <= max ? line : line.substring(0, max) + "...";
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
