package dev.fcgi.protocol;

/**
 * FCGI_ABORT_REQUEST: the web server asks the application to cancel request {@code requestId}. The record has no
 * content; the application still answers with an END_REQUEST once the request has stopped.
 *
 * @param requestId the id, 1 to 65535
 * @see <a href="https://fastcgi-archives.github.io/FastCGI_Specification.html#S5.4">FastCGI 1.0, section 5.4</a>
 */
public record FcgiAbortRequest(int requestId) implements FcgiRecord {

    /** Checks the range of the id. */
    public FcgiAbortRequest {
        FcgiCodecUtil.checkRequestId(requestId);
    }
}
