package dev.fcgi.examples.hello;

import dev.fcgi.protocol.server.FcgiServer;

import java.io.IOException;

import static java.nio.charset.StandardCharsets.UTF_8;

/** The README's example: {@code hello [--listen 127.0.0.1:9000]} answers {@code Hello, World!} (or {@code ?name=}). */
public final class HelloExample {

    public static FcgiServer start(String listen) throws IOException {
        return FcgiServer.builder()
                .listen(listen)                                   // "unix:/run/hello.sock", "[::1]:9000", "9000"
                .handler((request, response) -> {                 // a virtual thread per request: may block
                    String query = request.queryString();         // CGI variables from nginx's fastcgi_params
                    String name = query.startsWith("name=") ? query.substring(5) : "World";
                    byte[] body = request.body().readAllBytes();  // streams; large bodies spool to disk
                    response.status(200).contentType("text/plain; charset=utf-8");
                    response.body().write(("Hello, " + name + "!" + (body.length > 0 ? " You sent "
                            + body.length + " bytes." : "") + "\n").getBytes(UTF_8));  // waits for slow readers
                })
                .build()
                .start();
    }

    public static void main(String[] args) throws Exception {
        String listen = args.length == 2 && args[0].equals("--listen") ? args[1] : "127.0.0.1:9000";
        start(listen).awaitClose();
    }
}
