package dev.fcgi.pool.process;

import dev.fcgi.protocol.FcgiRole;
import dev.fcgi.protocol.client.FcgiClient;
import dev.fcgi.protocol.client.FcgiClientRequest;
import dev.fcgi.protocol.client.FcgiClientResponse;
import dev.fcgi.protocol.server.FcgiHandler;
import dev.fcgi.protocol.server.FcgiRequest;
import dev.fcgi.protocol.server.FcgiResponse;
import dev.fcgi.protocol.server.RequestAbortedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;

/**
 * Passes one request on to the worker's child and its answer back, streaming both bodies: the params as they came,
 * the request body as it arrives, the status, headers and body as the child writes them, then its FCGI_STDERR
 * text and application status. Failures end the request cleanly: a child that is gone gives a 502 (or, once the
 * answer has begun, a response cut short, so that the web server reports it failed), and the worker takes no
 * more requests.
 */
final class ChildProxy implements FcgiHandler {

    private static final Logger logger = LoggerFactory.getLogger(ChildProxy.class);
    private static final int COPY_BUFFER = 32 * 1024;
    /** A body up to this size is read on the worker's thread and sent in one go (no pump thread). */
    private static final int SMALL_BODY = 64 * 1024;

    private final ChildProcessWorker worker;
    private final FcgiClient client;
    private final boolean php;

    ChildProxy(ChildProcessWorker worker, FcgiClient client, boolean php) {
        this.worker = worker;
        this.client = client;
        this.php = php;
    }

    @Override
    public void handle(FcgiRequest request, FcgiResponse response) throws Exception {
        // an abort by the web server interrupts this thread
        CompletableFuture<FcgiClientResponse> sent = client.send(childRequest(request));
        FcgiClientResponse answer;
        try {
            answer = sent.get();
        } catch (InterruptedException e) {
            if (!sent.cancel(true)) {
                sent.thenAccept(FcgiClientResponse::close);     // it arrived as we were interrupted: release it
            }
            if (request.isAborted()) {
                abandoned("the web server aborted the request");
            } else {
                stopped(response, "interrupted before the child answered");
            }
            return;
        } catch (ExecutionException | CancellationException e) {
            if (request.isAborted()) {
                abandoned("the web server aborted the request");
                return;
            }
            failed(response, e.getCause() == null ? e : e.getCause());
            return;
        }
        try (answer) {
            relay(request, answer, response);
        }
    }

    private FcgiClientRequest childRequest(FcgiRequest request) throws IOException {
        FcgiClientRequest.Builder builder = FcgiClientRequest.builder().role(request.role()).params(request.params());
        long length = request.contentLength();
        if (length == 0 || (length < 0 && php)) {
            builder.body(new byte[0]);              // PHP reads CONTENT_LENGTH bytes of STDIN, none without it
        } else if (length > 0 && length <= SMALL_BODY) {
            builder.body(request.body().readNBytes((int) length));
        } else if (length > 0) {
            builder.body(request.body(), length);
        } else {
            builder.body(request.body());
        }
        if (request.role() == FcgiRole.FILTER) {
            String dataLength = request.param("FCGI_DATA_LENGTH");
            long data = dataLength == null ? -1 : parse(dataLength);
            builder.data(request.data(), data);
        }
        return builder.build();
    }

    private static long parse(String number) {
        try {
            return Long.parseLong(number.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private void relay(FcgiRequest request, FcgiClientResponse answer, FcgiResponse response) throws Exception {
        boolean writing = false;        // an I/O error while writing is the web server's, not the child's
        try {
            response.status(answer.status(), answer.reason());
            for (Map.Entry<String, String> header : answer.headers()) {
                if (!header.getKey().equalsIgnoreCase("Status")) {
                    response.addHeader(header.getKey(), header.getValue());
                }
            }
            OutputStream out = response.body();
            InputStream in = answer.body();
            byte[] buffer = new byte[COPY_BUFFER];
            int n;
            while ((n = in.read(buffer)) >= 0) {
                writing = true;
                out.write(buffer, 0, n);
                writing = false;
            }
            answer.end().get();
            String stderr = answer.stderr();
            writing = true;
            if (!stderr.isEmpty()) {
                response.stderr().write(stderr.getBytes(StandardCharsets.UTF_8));
            }
            response.appStatus(answer.appStatus());
            out.close();
        } catch (InterruptedException | InterruptedIOException e) {
            if (request.isAborted()) {
                abandoned("the web server aborted the request");
            } else {
                stopped(response, "interrupted while relaying the child's answer");
            }
        } catch (IOException | ExecutionException e) {
            if (request.isAborted() || writing || e instanceof RequestAbortedException) {
                abandoned("the web server went away: " + e);
            } else {
                failed(response, e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e);
            }
        }
    }

    /**
     * The web server gave up on the request (or stopped reading it): closing the answer closes the connection to
     * the child, whose script may still run for a while (php-cgi stops at its next output, unless
     * ignore_user_abort is on). The child is replaced rather than handed the next request while it is busy.
     */
    private void abandoned(String why) {
        worker.retire("after its request was abandoned (" + why + ")");
        logger.debug("[pool {}] {}: {}", worker.poolName(), worker, why);
    }

    /** The pool stopped the request (request_terminate_timeout, or shutdownNow): the child is not reused. */
    private void stopped(FcgiResponse response, String what) {
        worker.retire("stopped with its request");
        response.terminate(503, "The pool stopped the request.");
        logger.debug("[pool {}] {}: {}", worker.poolName(), worker, what);
    }

    /** The child failed the request: 502, or the answer cut short; the child is replaced. */
    private void failed(FcgiResponse response, Throwable cause) {
        worker.markBroken();
        String end = worker.exitDescription();
        logger.warn("[pool {}] {} {} while it served a request: {}", worker.poolName(), worker, end,
                cause.toString());
        try {
            if (!response.isCommitted()) {
                response.stderr().write(("FastCGI child " + worker.pid() + " " + end + " while it served this request\n")
                        .getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException | RuntimeException e) {
            // the response is gone already
        }
        response.terminate(502, "Bad Gateway");
    }
}
