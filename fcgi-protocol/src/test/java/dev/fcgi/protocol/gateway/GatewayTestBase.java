package dev.fcgi.protocol.gateway;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * An {@link HttpGateway} on a loopback port in front of an {@link EchoBackend}, which each test starts with its
 * own settings; both are closed after it.
 */
abstract class GatewayTestBase {

    static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path root;
    EchoBackend backend;
    HttpGateway gateway;

    @BeforeEach
    void startBackend() throws IOException {
        backend = new EchoBackend();
    }

    @AfterEach
    void stopGateway() {
        try {
            if (gateway != null) {
                gateway.close();
            }
        } finally {
            backend.close();
        }
    }

    void start(Consumer<HttpGateway.Builder> settings) throws IOException {
        HttpGateway.Builder builder = HttpGateway.builder().listen("127.0.0.1:0").backend(backend.address())
                .documentRoot(root).ioThreads(2);
        settings.accept(builder);
        gateway = builder.build().start();
    }

    void start() throws IOException {
        start(b -> { });
    }

    RawHttp raw() throws IOException {
        return RawHttp.connect(gateway.localAddress());
    }
}
