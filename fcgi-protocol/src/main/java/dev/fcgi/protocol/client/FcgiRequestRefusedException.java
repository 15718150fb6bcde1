package dev.fcgi.protocol.client;

import dev.fcgi.protocol.FcgiProtocolStatus;

/**
 * The application refused a request with an END_REQUEST whose protocol status is not
 * {@link FcgiProtocolStatus#REQUEST_COMPLETE}: {@link FcgiProtocolStatus#UNKNOWN_ROLE} at once, or
 * {@link FcgiProtocolStatus#OVERLOADED} / {@link FcgiProtocolStatus#CANT_MPX_CONN} when the client's retries were
 * used up or the request body could not be sent again.
 *
 * @see <a href="https://fastcgi-archives.github.io/FastCGI_Specification.html#S5.5">FastCGI 1.0, section 5.5</a>
 */
public class FcgiRequestRefusedException extends FcgiClientException {

    private static final long serialVersionUID = 1L;

    private final FcgiProtocolStatus protocolStatus;

    /** An exception for a refusal with the given status. */
    public FcgiRequestRefusedException(String message, FcgiProtocolStatus protocolStatus) {
        super(message);
        this.protocolStatus = protocolStatus;
    }

    /** The protocol status of the application's END_REQUEST. */
    public FcgiProtocolStatus protocolStatus() {
        return protocolStatus;
    }
}
