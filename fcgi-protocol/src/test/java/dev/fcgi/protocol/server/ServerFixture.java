package dev.fcgi.protocol.server;

import dev.fcgi.protocol.testing.RawFcgiConnection;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.function.Consumer;

/**
 * Starts an {@link FcgiServer} on a free loopback port for one test.
 */
final class ServerFixture implements AutoCloseable {

    final FcgiServer server;

    ServerFixture(FcgiHandler handler) throws IOException {
        this(handler, builder -> { });
    }

    ServerFixture(FcgiHandler handler, Consumer<FcgiServer.Builder> settings) throws IOException {
        FcgiServer.Builder builder = FcgiServer.builder().listen(new InetSocketAddress("127.0.0.1", 0))
                .handler(handler).ioThreads(2);
        settings.accept(builder);
        server = builder.build().start();
    }

    RawFcgiConnection connect() throws IOException {
        return RawFcgiConnection.connect(server.localAddress());
    }

    @Override
    public void close() {
        server.close();
    }
}
