package dev.fcgi.protocol.client;

import org.junit.jupiter.api.AfterEach;

import java.util.function.UnaryOperator;

/**
 * A client test against a {@link FakeFcgiServer}: the test sets {@link #server}, builds its client with
 * {@link #client(UnaryOperator)}, and both are closed after it.
 */
abstract class FakeServerTestBase {

    FakeFcgiServer server;
    FcgiClient client;

    /** Closes the client, then the server; idempotent. */
    @AfterEach
    void closeClientAndServer() {
        if (client != null) {
            client.close();
            client = null;
        }
        if (server != null) {
            server.close();
            server = null;
        }
    }

    /** Builds the client to {@link #server}'s address with the given settings. */
    FcgiClient client(UnaryOperator<FcgiClient.Builder> options) {
        client = options.apply(FcgiClient.builder().address(server.address())).build();
        return client;
    }
}
