package dev.fcgi.protocol;

/**
 * One FastCGI record, decoded. Every record starts with the same 8-byte header:
 * <pre>
 * typedef struct {
 *     unsigned char version;           // FCGI_VERSION_1 = 1
 *     unsigned char type;              // FcgiRecordType
 *     unsigned char requestIdB1, requestIdB0;
 *     unsigned char contentLengthB1, contentLengthB0;
 *     unsigned char paddingLength;
 *     unsigned char reserved;
 * } FCGI_Header;                       // then contentData[contentLength], paddingData[paddingLength]
 * </pre>
 * Stream records ({@link FcgiStreamRecord}) hold their content as a reference-counted buffer; all others are
 * plain values.
 *
 * @see <a href="https://fastcgi-archives.github.io/FastCGI_Specification.html#S3.3">FastCGI 1.0, section 3.3</a>
 */
public sealed interface FcgiRecord
        permits FcgiBeginRequest, FcgiAbortRequest, FcgiEndRequest, FcgiGetValues, FcgiGetValuesResult,
                FcgiUnknownType, FcgiUnrecognizedRecord, FcgiStreamRecord {

    /** The request id: 0 ({@code FCGI_NULL_REQUEST_ID}) for management records, 1 to 65535 otherwise. */
    int requestId();
}
