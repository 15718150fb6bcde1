package dev.fcgi.protocol;

import java.util.Objects;

/**
 * FCGI_END_REQUEST: the application has ended request {@code requestId}; it is the last record of the request.
 * <pre>
 * typedef struct {
 *     unsigned char appStatusB3, appStatusB2, appStatusB1, appStatusB0;
 *     unsigned char protocolStatus;    // FcgiProtocolStatus
 *     unsigned char reserved[3];
 * } FCGI_EndRequestBody;
 * </pre>
 *
 * @param requestId      the id, 1 to 65535
 * @param appStatus      the application's status (like a CGI exit code), an unsigned 32-bit value
 * @param protocolStatus how the request ended
 * @see <a href="https://fastcgi-archives.github.io/FastCGI_Specification.html#S5.5">FastCGI 1.0, section 5.5</a>
 */
public record FcgiEndRequest(int requestId, int appStatus, FcgiProtocolStatus protocolStatus) implements FcgiRecord {

    /** Checks the id and the status. */
    public FcgiEndRequest {
        FcgiCodecUtil.checkRequestId(requestId);
        Objects.requireNonNull(protocolStatus, "protocolStatus");
    }

    /** The application status read as the unsigned number it is on the wire. */
    public long appStatusUnsigned() {
        return Integer.toUnsignedLong(appStatus);
    }
}
