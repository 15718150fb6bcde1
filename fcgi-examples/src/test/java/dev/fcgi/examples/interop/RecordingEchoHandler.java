package dev.fcgi.examples.interop;

import dev.fcgi.examples.echo.EchoHandler;
import dev.fcgi.protocol.server.FcgiHandler;
import dev.fcgi.protocol.server.FcgiRequest;
import dev.fcgi.protocol.server.FcgiResponse;

import java.net.SocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** The echo handler, also noting the web server's end of the connection each request came on. */
final class RecordingEchoHandler implements FcgiHandler {

    private final EchoHandler echo = new EchoHandler();
    private final List<SocketAddress> peers = new CopyOnWriteArrayList<>();

    @Override
    public void handle(FcgiRequest request, FcgiResponse response) throws Exception {
        peers.add(request.peerAddress());
        echo.handle(request, response);
    }

    /** The peer address of every request so far, in order. */
    List<SocketAddress> peers() {
        return List.copyOf(peers);
    }
}
