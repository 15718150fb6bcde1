package dev.fcgi.examples.cookbook;

import dev.fcgi.protocol.server.FcgiHandler;
import dev.fcgi.protocol.server.FcgiRequest;
import dev.fcgi.protocol.server.FcgiResponse;

import java.io.OutputStream;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

import static java.nio.charset.StandardCharsets.UTF_8;

/**
 * Answering first, working after: {@code finish()} sends the complete response and END_REQUEST (PHP's
 * {@code fastcgi_finish_request()}), then the handler goes on with slow work (here: recording an audit line).
 * In a pool the worker shows as Finishing meanwhile.
 */
public final class FinishExample implements FcgiHandler {

    /** What the background part did, in order. */
    public final BlockingQueue<String> audit = new LinkedBlockingQueue<>();

    @Override
    public void handle(FcgiRequest request, FcgiResponse response) throws Exception {
        response.status(202).contentType("text/plain; charset=utf-8");
        try (OutputStream out = response.body()) {
            out.write("accepted\n".getBytes(UTF_8));
        }
        response.finish();                                     // the web server has its answer now
        String uri = request.requestUri();                     // the request is still readable
        audit.put("processed " + uri);                         // slow work: mail, a report, a cache warm-up...
    }
}
