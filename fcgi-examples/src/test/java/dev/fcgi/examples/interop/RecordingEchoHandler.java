package dev.fcgi.examples.interop;

import dev.fcgi.examples.echo.EchoHandler;
import dev.fcgi.protocol.server.FcgiHandler;
import dev.fcgi.protocol.server.FcgiRequest;
import dev.fcgi.protocol.server.FcgiResponse;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The echo handler, also noting the web server's end of the connection each request came on. Requests for
 * {@value #MIRROR_PATH} get their body back as it is, streamed while it is read.
 */
final class RecordingEchoHandler implements FcgiHandler {

    /** The document URI whose requests are answered with their own body. */
    static final String MIRROR_PATH = "/interop/mirror";

    private final EchoHandler echo = new EchoHandler();
    private final List<SocketAddress> peers = new CopyOnWriteArrayList<>();

    @Override
    public void handle(FcgiRequest request, FcgiResponse response) throws Exception {
        peers.add(request.peerAddress());
        if (MIRROR_PATH.equals(request.documentUri())) {
            response.contentType("application/octet-stream");
            try (InputStream body = request.body(); OutputStream out = response.body()) {
                body.transferTo(out);
            }
            return;
        }
        echo.handle(request, response);
    }

    /** The peer address of every request so far, in order. */
    List<SocketAddress> peers() {
        return List.copyOf(peers);
    }
}
