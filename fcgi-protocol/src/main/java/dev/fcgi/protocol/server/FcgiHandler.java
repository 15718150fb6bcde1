package dev.fcgi.protocol.server;

/**
 * Serves one FastCGI request: reads the CGI variables and body from the request and writes the response. The
 * callback may block (it runs on the server's executor, one thread per request); the response is ended when it
 * returns, or earlier by {@link FcgiResponse#finish()}. An exception becomes a {@code 500} answer when nothing was
 * sent yet, is logged, and leaves the connection usable.
 *
 * <pre>{@code
 * FcgiHandler hello = (request, response) -> {
 *     response.contentType("text/plain");
 *     response.body().write(("Hello, " + request.param("REMOTE_ADDR")).getBytes(UTF_8));
 * };
 * }</pre>
 */
@FunctionalInterface
public interface FcgiHandler {

    /**
     * Serves {@code request}.
     *
     * @throws Exception to fail the request: it is answered with status 500 unless the response was committed
     */
    void handle(FcgiRequest request, FcgiResponse response) throws Exception;
}
