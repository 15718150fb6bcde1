package dev.fcgi.protocol;

import io.netty.handler.codec.DecoderException;

/**
 * A peer broke the FastCGI protocol in a way that loses the record framing or the state of the connection, for
 * example a version other than 1 or a BEGIN_REQUEST body that is not 8 bytes. The connection is closed.
 */
public class FcgiProtocolException extends DecoderException {

    private static final long serialVersionUID = 1L;

    /** An exception with a message that names the offending value and what was expected. */
    public FcgiProtocolException(String message) {
        super(message);
    }

    /** An exception with a message and a cause. */
    public FcgiProtocolException(String message, Throwable cause) {
        super(message, cause);
    }
}
