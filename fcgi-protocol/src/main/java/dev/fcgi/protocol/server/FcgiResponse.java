package dev.fcgi.protocol.server;

import java.io.IOException;
import java.io.OutputStream;

/**
 * The response to a FastCGI request, written as a CGI response on the STDOUT stream: a {@code Status:} line,
 * the headers, a blank line, then the body. Status and headers may change until the response is committed, which
 * happens at the first flush of the body (the body is buffered in chunks, so small writes do not commit it).
 *
 * <p>The body stream waits while the connection cannot take more data (the web server or its client reads
 * slowly), so a response of any size needs only a bounded amount of memory. Unless the server is full duplex
 * ({@link FcgiServer.Builder#fullDuplex(boolean)}), the commit also waits until the request body has arrived
 * (nginx sends no more of it once it has the header); a body that stops coming makes that write fail, and the
 * answer is 408. Writes after the request was aborted fail with an {@link IOException}; writes after
 * {@link #finish()} are discarded.
 */
public interface FcgiResponse {

    /** Sets the HTTP status (default 200) with the standard reason phrase. */
    FcgiResponse status(int code);

    /** Sets the HTTP status and reason phrase. */
    FcgiResponse status(int code, String reason);

    /** The HTTP status. */
    int status();

    /** Sets a header, replacing any of the same name (case-insensitive). {@code Status} sets the status. */
    FcgiResponse header(String name, String value);

    /** Adds a header, keeping others of the same name ({@code Set-Cookie}). */
    FcgiResponse addHeader(String name, String value);

    /** Sets {@code Content-Type}. */
    default FcgiResponse contentType(String contentType) {
        return header("Content-Type", contentType);
    }

    /** The value of header {@code name} set so far, or {@code null}. */
    String header(String name);

    /**
     * The body. Closing it flushes it (unless the commit still waits for the request body: then the end sends it);
     * the response ends when the handler returns.
     */
    OutputStream body();

    /** The FCGI_STDERR stream: text the web server writes to its error log. */
    OutputStream stderr();

    /** Sets the application status sent in END_REQUEST (default 0; like a CGI program's exit code). */
    FcgiResponse appStatus(int appStatus);

    /** Whether the status and headers have been sent. */
    boolean isCommitted();

    /**
     * Ends the response now: the web server gets the complete answer and END_REQUEST, while the handler may go on
     * working (PHP's {@code fastcgi_finish_request()}). Later writes are discarded.
     */
    void finish() throws IOException;

    /**
     * Ends the request at once, from any thread: for a supervisor such as a pool's {@code request_terminate_timeout}.
     * A response not yet committed becomes {@code status} with {@code message} as a short text body; a committed one
     * is cut short and its connection closed once no other request uses it, so that the web server reports the
     * answer as failed rather than complete. The handler's later reads and writes then fail with
     * {@link RequestAbortedException}, and its thread is interrupted.
     *
     * @return false when the response had already ended
     */
    boolean terminate(int status, String message);
}
