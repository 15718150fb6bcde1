package dev.fcgi.examples.hello;

import dev.fcgi.pool.FcgiPool;
import dev.fcgi.protocol.server.FcgiRequest;
import dev.fcgi.protocol.server.FcgiResponse;
import dev.fcgi.protocol.server.FcgiServer;

import java.io.IOException;
import java.time.Duration;

import static java.nio.charset.StandardCharsets.UTF_8;

/**
 * The README's example, and the backend of every benchmark: answers {@code Hello, World!} (or {@code ?name=}) as
 * text/plain. {@code hello [--listen 127.0.0.1:9000] [--event-loop | --pm static --max-children 8 ...]}: see
 * {@link HelloOptions}.
 */
public final class HelloExample {

    /** How long a graceful stop (SIGTERM) lets running requests finish. */
    private static final Duration GRACE = Duration.ofSeconds(10);

    private HelloExample() {
    }

    public static FcgiServer start(String listen) throws IOException {
        return FcgiServer.builder()
                .listen(listen)                                   // "unix:/run/hello.sock", "[::1]:9000", "9000"
                .handler(HelloExample::hello)                     // a virtual thread per request: may block
                .build()
                .start();
    }

    static void hello(FcgiRequest request, FcgiResponse response) throws IOException {
        String query = request.queryString();                     // CGI variables from nginx's fastcgi_params
        String name = query.startsWith("name=") ? query.substring(5) : "World";
        byte[] body = request.body().readAllBytes();              // streams; large bodies spool to disk
        response.status(200).contentType("text/plain; charset=utf-8");
        response.body().write(("Hello, " + name + "!" + (body.length > 0 ? " You sent "
                + body.length + " bytes." : "") + "\n").getBytes(UTF_8));  // waits for slow readers
    }

    /** Starts the server the options describe, with its pool (if any) started first. */
    static Running start(HelloOptions options) throws IOException {
        FcgiServer.Builder server = FcgiServer.builder().listen(options.listen()).ioThreads(options.ioThreads());
        if (options.pool() == null) {
            server.handler(HelloExample::hello).handlerOnEventLoop(options.eventLoop());
            return new Running(server.build().start(), null);
        }
        FcgiPool pool = FcgiPool.builder(options.pool().name()).config(options.pool())
                .handler(HelloExample::hello).build().start();
        try {
            return new Running(server.handler(pool.handler()).dispatcher(pool).build().start(), pool);
        } catch (IOException | RuntimeException e) {
            pool.shutdownNow();
            throw e;
        }
    }

    /** A started server and the pool behind it, or {@code null} when handlers run without one. */
    record Running(FcgiServer server, FcgiPool pool) implements AutoCloseable {

        @Override
        public void close() throws InterruptedException {
            try {
                server.shutdownGracefully(GRACE);       // requests already begun finish; new connections are refused
            } finally {
                if (pool != null) {
                    pool.shutdownGracefully(GRACE);
                }
            }
        }
    }

    public static void main(String[] args) throws Exception {
        HelloOptions options;
        try {
            options = HelloOptions.parse(args);
        } catch (IllegalArgumentException e) {                   // a bad option, or FPM's check of the pm settings
            System.err.println("hello: " + e.getMessage());
            System.err.println(HelloOptions.USAGE);
            System.exit(2);
            return;
        }
        Running running = start(options);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                running.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "fcgi-shutdown"));
        System.out.println("hello listening on " + running.server().localAddresses() + " (" + options.describe() + ")");
        running.server().awaitClose();
    }
}
