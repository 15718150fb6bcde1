package dev.fcgi.protocol.client;

import dev.fcgi.protocol.testing.ExternalProcess;
import dev.fcgi.protocol.testing.PhpCgiProcess;

import java.net.SocketAddress;

/**
 * Interop with {@code php-cgi8.2 -b} over TCP (skipped when php-cgi is not installed). One process serves one
 * connection at a time, so the client keeps a single connection.
 */
class PhpCgiInteropTest extends PhpInteropTestBase {

    PhpCgiProcess cgi;

    @Override
    ExternalProcess start() throws Exception {
        cgi = PhpCgiProcess.start(dir);
        return cgi;
    }

    @Override
    SocketAddress address() {
        return cgi.address();
    }

    @Override
    FcgiClient.Builder options(FcgiClient.Builder builder) {
        return builder.maxConnections(1);
    }
}
