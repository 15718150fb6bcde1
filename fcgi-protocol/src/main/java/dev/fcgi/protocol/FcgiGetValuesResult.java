package dev.fcgi.protocol;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * FCGI_GET_VALUES_RESULT: the answer to {@link FcgiGetValues}, one record holding the known variables as
 * name-value pairs.
 *
 * @param requestId 0 for a valid answer
 * @param values    the variables, in the order received
 * @see <a href="https://fastcgi-archives.github.io/FastCGI_Specification.html#S4.1">FastCGI 1.0, section 4.1</a>
 */
public record FcgiGetValuesResult(int requestId, Map<String, String> values) implements FcgiRecord {

    /** Copies the values, keeping their order. */
    public FcgiGetValuesResult {
        FcgiCodecUtil.checkRange("requestId", requestId, 0, 0xFFFF);
        values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    /** A management answer (request id 0) with the given values. */
    public FcgiGetValuesResult(Map<String, String> values) {
        this(0, values);
    }
}
