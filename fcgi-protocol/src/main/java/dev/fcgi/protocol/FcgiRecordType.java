package dev.fcgi.protocol;

/**
 * The record types of FastCGI 1.0, with their wire codes.
 *
 * @see <a href="https://fastcgi-archives.github.io/FastCGI_Specification.html#S8">FastCGI 1.0, section 8</a>
 */
public enum FcgiRecordType {
    /** Starts a request (web server to application). */
    BEGIN_REQUEST(1),
    /** Cancels a request (web server to application). */
    ABORT_REQUEST(2),
    /** Ends a request (application to web server). */
    END_REQUEST(3),
    /** Name-value pairs of a request (stream). */
    PARAMS(4),
    /** Request body (stream). */
    STDIN(5),
    /** Response (stream). */
    STDOUT(6),
    /** Error output (stream). */
    STDERR(7),
    /** Filter data (stream). */
    DATA(8),
    /** Management query (web server to application). */
    GET_VALUES(9),
    /** Answer to {@link #GET_VALUES}. */
    GET_VALUES_RESULT(10),
    /** Answer to a management record of a type the application does not know. */
    UNKNOWN_TYPE(11);

    private static final FcgiRecordType[] BY_CODE = new FcgiRecordType[12];

    static {
        for (FcgiRecordType type : values()) {
            if (BY_CODE[type.code] != null) {
                throw new AssertionError("duplicate record type code: " + type.code);
            }
            BY_CODE[type.code] = type;
        }
    }

    private final int code;

    FcgiRecordType(int code) {
        this.code = code;
    }

    /** The wire code, 1 to 11. */
    public int code() {
        return code;
    }

    /** Whether records of this type carry a byte stream, ended by an empty record. */
    public boolean isStream() {
        return this == PARAMS || this == STDIN || this == STDOUT || this == STDERR || this == DATA;
    }

    /**
     * The type with the given wire code, or {@code null} when FastCGI 1.0 defines no such type.
     */
    public static FcgiRecordType of(int code) {
        return code > 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }
}
