package dev.fcgi.examples.cookbook;

import dev.fcgi.protocol.server.FcgiHandler;
import dev.fcgi.protocol.server.FcgiServer;

/** Serves one cookbook handler: {@code request|stream|finish [--listen 127.0.0.1:9000]}. */
public final class CookbookServer {

    private CookbookServer() {
    }

    /** Serves {@code handler} on {@code --listen ADDR} (default 127.0.0.1:9000) until the JVM stops. */
    public static void serve(FcgiHandler handler, String[] args) throws Exception {
        String listen = args.length == 2 && args[0].equals("--listen") ? args[1] : "127.0.0.1:9000";
        try (FcgiServer server = FcgiServer.builder().listen(listen).handler(handler).build().start()) {
            System.out.println(handler.getClass().getSimpleName() + " listening on " + server.localAddresses());
            server.awaitClose();
        }
    }
}
