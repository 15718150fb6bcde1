package dev.fcgi.examples.embed;

import dev.fcgi.examples.cookbook.RequestExample;
import dev.fcgi.pool.DynamicStrategy;
import dev.fcgi.pool.FcgiPool;
import dev.fcgi.protocol.gateway.HttpGateway;
import dev.fcgi.protocol.server.FcgiServer;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Embedding: a pool and its FastCGI server on a private Unix socket, and an {@link HttpGateway} in front of it,
 * all inside the application's own JVM, next to whatever HTTP server the application already runs. nginx can
 * use the same socket; without nginx, the gateway answers HTTP itself. {@code embed [--http 127.0.0.1:8080]}.
 */
public final class EmbedExample implements AutoCloseable {

    private final FcgiPool pool;
    private final FcgiServer server;
    private final HttpGateway gateway;

    private EmbedExample(FcgiPool pool, FcgiServer server, HttpGateway gateway) {
        this.pool = pool;
        this.server = server;
        this.gateway = gateway;
    }

    /** Starts the pool on a Unix socket in {@code runDir} and the gateway on {@code http}. */
    public static EmbedExample start(Path runDir, String http) throws Exception {
        Path socket = runDir.resolve("app.sock");
        FcgiPool pool = FcgiPool.builder("app")
                .strategy(DynamicStrategy.newBuilder().maxChildren(8).startServers(2)
                        .minSpareServers(1).maxSpareServers(3).build())
                .handler(RequestExample::new)                     // one handler instance per worker
                .statusPath("/status")
                .build().start();
        FcgiServer server = FcgiServer.builder().listen("unix:" + socket)
                .handler(pool.handler()).dispatcher(pool).build().start();
        HttpGateway gateway = HttpGateway.builder().listen(http)
                .backend("unix:" + socket).documentRoot(runDir).build().start();
        return new EmbedExample(pool, server, gateway);
    }

    /** The gateway, for its address. */
    public HttpGateway gateway() {
        return gateway;
    }

    @Override
    public void close() {
        gateway.close();
        server.close();
        pool.shutdownNow();
    }

    public static void main(String[] args) throws Exception {
        String http = args.length == 2 && args[0].equals("--http") ? args[1] : "127.0.0.1:8080";
        EmbedExample app = start(Files.createTempDirectory("fcgi-embed-"), http);
        Runtime.getRuntime().addShutdownHook(new Thread(app::close, "embed-stop"));
        System.out.println("try: curl -d hello http://" + http + "/anything?x=1 and http://" + http + "/status");
        app.gateway().awaitClose();
    }
}
