package dev.fcgi.benchmarks.soak;

import java.util.HashMap;
import java.util.Map;

/**
 * One request of the soak, as the driver sends it and {@link SoakHandler} reads it: the id (also sent as the
 * header {@value #ID_HEADER}, which the handler compares), the kind, the sizes of the upload and of the response,
 * how long the handler waits before it reads the body (so that the body waits unread and is spooled) and before it
 * answers, whether nginx is told not to buffer the response, and whether the driver means to abort the request.
 * Everything but the upload travels in the query string: {@code id=7&kind=get&size=512&...}.
 *
 * @param id             unique in a run
 * @param kind           the traffic kind's name, for logs and the report
 * @param requestBytes   the upload's length (0: no body)
 * @param responseBytes  the response body's length
 * @param readDelayMillis how long the handler waits before it reads the body
 * @param sleepMillis    how long the handler waits, after reading the body, before it answers
 * @param unbuffered     the response carries {@code X-Accel-Buffering: no}
 * @param abort          the driver aborts the request on purpose: its end is not counted as an answer
 */
public record SoakCall(long id, String kind, long requestBytes, long responseBytes, int readDelayMillis,
                       int sleepMillis, boolean unbuffered, boolean abort) {

    /**
     * The header with the id: in the request (the handler answers 400 when it differs from the query's id), and in
     * the response (the id the handler read).
     */
    public static final String ID_HEADER = "X-Soak-Id";
    /** The response headers with the length and CRC32C of the body the handler read. */
    public static final String RECEIVED_LENGTH_HEADER = "X-Soak-Received-Length";
    public static final String RECEIVED_CRC_HEADER = "X-Soak-Received-Crc32c";
    /** The response header with the CRC32C of the body the handler sends. */
    public static final String BODY_CRC_HEADER = "X-Soak-Body-Crc32c";
    /** The path of every soak request. */
    public static final String PATH = "/soak";
    /** The path of the handler's totals ({@link SoakTotals}). */
    public static final String TOTALS_PATH = "/soak/totals";

    /** The query string that carries this call. */
    public String query() {
        StringBuilder q = new StringBuilder(96).append("id=").append(id).append("&kind=").append(kind)
                .append("&size=").append(responseBytes);
        if (readDelayMillis > 0) {
            q.append("&delay=").append(readDelayMillis);
        }
        if (sleepMillis > 0) {
            q.append("&sleep=").append(sleepMillis);
        }
        if (unbuffered) {
            q.append("&unbuffered=1");
        }
        if (abort) {
            q.append("&abort=1");
        }
        return q.toString();
    }

    /** {@link #PATH} with the query. */
    public String uri() {
        return PATH + "?" + query();
    }

    /**
     * Reads a call from a query string written by {@link #query()}; the upload's length is the body the handler
     * reads, so it is 0 here.
     *
     * @throws IllegalArgumentException when {@code id} or a number is missing or malformed
     */
    public static SoakCall parse(String query) {
        Map<String, String> values = new HashMap<>();
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                values.put(pair.substring(0, eq), pair.substring(eq + 1));
            }
        }
        String id = values.get("id");
        if (id == null) {
            throw new IllegalArgumentException("no id in '" + query + "'");
        }
        return new SoakCall(number(values, "id"), values.getOrDefault("kind", "-"), 0, number(values, "size"),
                (int) number(values, "delay"), (int) number(values, "sleep"), "1".equals(values.get("unbuffered")),
                "1".equals(values.get("abort")));
    }

    private static long number(Map<String, String> values, String name) {
        String value = values.get(name);
        if (value == null) {
            return 0;
        }
        try {
            long n = Long.parseLong(value);
            if (n < 0) {
                throw new IllegalArgumentException(name + "=" + value + " (expected: >= 0)");
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + "=" + value + " (expected: a number)", e);
        }
    }
}
