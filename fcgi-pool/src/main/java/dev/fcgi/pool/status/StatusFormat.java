package dev.fcgi.pool.status;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * The formats of FPM's status page, chosen by the presence of a query key ({@code ?json}, {@code ?xml&full} …)
 * with FPM's precedence: {@code html} over {@code xml} over {@code json} over {@code openmetrics} over text.
 */
public enum StatusFormat {
    /** {@code label: value} lines, labels padded to column 23. */
    TEXT("text/plain"),
    /** One JSON object, FPM's labels as keys. */
    JSON("application/json"),
    /** {@code <status>} with hyphenated tags. */
    XML("text/xml"),
    /** An XHTML page of tables. */
    HTML("text/html"),
    /** OpenMetrics 1.0 text, with a {@code pool} label on every series and per-worker series. */
    OPENMETRICS("application/openmetrics-text; version=1.0.0; charset=utf-8");

    private final String contentType;

    StatusFormat(String contentType) {
        this.contentType = contentType;
    }

    /** FPM's {@code Content-Type} for the format. */
    public String contentType() {
        return contentType;
    }

    /** The format a query string asks for (keys matter, values do not); {@link #TEXT} when none. */
    public static StatusFormat of(String queryString) {
        if (hasKey(queryString, "html")) {
            return HTML;
        }
        if (hasKey(queryString, "xml")) {
            return XML;
        }
        if (hasKey(queryString, "json")) {
            return JSON;
        }
        if (hasKey(queryString, "openmetrics")) {
            return OPENMETRICS;
        }
        return TEXT;
    }

    /** Whether the query string asks for the per-process blocks ({@code full}). */
    public static boolean isFull(String queryString) {
        return hasKey(queryString, "full");
    }

    /** Whether {@code key} is one of the query's keys, as PHP's {@code $_GET} would have it. */
    static boolean hasKey(String queryString, String key) {
        if (queryString == null || queryString.isEmpty()) {
            return false;
        }
        for (String pair : queryString.split("&")) {
            int eq = pair.indexOf('=');
            String name = eq < 0 ? pair : pair.substring(0, eq);
            try {
                name = URLDecoder.decode(name, StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                // a malformed escape: compare the raw key
            }
            if (name.equals(key)) {
                return true;
            }
        }
        return false;
    }
}
