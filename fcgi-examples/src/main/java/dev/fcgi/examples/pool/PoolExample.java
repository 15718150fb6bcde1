package dev.fcgi.examples.pool;

import dev.fcgi.pool.FcgiPool;
import dev.fcgi.pool.PoolConfig;
import dev.fcgi.protocol.server.FcgiHandler;
import dev.fcgi.protocol.server.FcgiRequest;
import dev.fcgi.protocol.server.FcgiResponse;
import dev.fcgi.protocol.server.FcgiServer;

import java.io.IOException;
import java.time.Duration;

import static java.nio.charset.StandardCharsets.UTF_8;

/**
 * The README's pool example: {@code pool [--listen 127.0.0.1:9000]} runs a dynamic pool of worker threads, each
 * with its own handler instance, with the status page at {@code /status} and ping at {@code /ping}.
 */
public final class PoolExample {

    /** A handler with per-worker state: it counts the requests its worker served. */
    static final class MyHandler implements FcgiHandler {
        private int served;

        @Override
        public void handle(FcgiRequest request, FcgiResponse response) throws IOException {
            response.contentType("text/plain");
            response.body().write(("request " + ++served + " of " + Thread.currentThread().getName() + "\n")
                    .getBytes(UTF_8));
        }
    }

    public static FcgiServer start(String listen, FcgiPool[] poolOut) throws IOException {
        FcgiPool pool = FcgiPool.builder("www")
                .config(PoolConfig.builder("www").listen(listen).pm("dynamic").maxChildren(16)
                        .minSpareServers(2).maxSpareServers(6).maxRequests(500).statusPath("/status").pingPath("/ping")
                        .build())
                .handler(() -> new MyHandler())                  // one handler instance per worker thread
                .build()
                .start();
        FcgiServer server = FcgiServer.builder().listen(listen)
                .handler(pool.handler()).dispatcher(pool)        // requests, not connections, go to workers
                .build()
                .start();
        poolOut[0] = pool;
        return server;
    }

    public static void main(String[] args) throws Exception {
        String listen = args.length == 2 && args[0].equals("--listen") ? args[1] : "127.0.0.1:9000";
        FcgiPool[] pool = new FcgiPool[1];
        FcgiServer server = start(listen, pool);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                server.shutdownGracefully(Duration.ofSeconds(10));    // begun requests finish; new ones are refused
                pool[0].shutdownGracefully(Duration.ofSeconds(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                pool[0].shutdownNow();
            }
        }, "fcgi-shutdown"));
        System.out.println("pool www listening on " + server.localAddresses() + "; try /status?full and /ping");
        server.awaitClose();
    }
}
