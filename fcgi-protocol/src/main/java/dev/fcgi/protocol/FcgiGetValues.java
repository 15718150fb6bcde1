package dev.fcgi.protocol;

import java.util.List;

/**
 * FCGI_GET_VALUES: a management query for the application's variables, such as {@code FCGI_MPXS_CONNS}. On the
 * wire the names are name-value pairs with empty values.
 *
 * @param requestId 0 for a valid query; any other id is kept so that the receiver can ignore the record
 * @param names     the variable names asked for, in order
 * @see <a href="https://fastcgi-archives.github.io/FastCGI_Specification.html#S4.1">FastCGI 1.0, section 4.1</a>
 */
public record FcgiGetValues(int requestId, List<String> names) implements FcgiRecord {

    /** Copies the names. */
    public FcgiGetValues {
        FcgiCodecUtil.checkRange("requestId", requestId, 0, 0xFFFF);
        names = List.copyOf(names);
    }

    /** A management query (request id 0) for the given names. */
    public FcgiGetValues(List<String> names) {
        this(0, names);
    }
}
