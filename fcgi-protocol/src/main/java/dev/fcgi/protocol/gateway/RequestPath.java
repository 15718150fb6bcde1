package dev.fcgi.protocol.gateway;

import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * The request-target of an HTTP request split and normalised as nginx does for {@code $request_uri},
 * {@code $uri} and {@code $args}: the path is percent-decoded, repeated slashes are merged and {@code .} segments
 * dropped. Unlike nginx, a {@code ..} segment (after decoding, so {@code %2e%2e} too) is refused with 400 rather
 * than resolved, as is an encoded NUL byte or a broken escape.
 *
 * <p>Every string here is a <em>byte string</em>: one {@code char} (0 to 255) per byte, as Netty's decoder reads
 * the request line (ISO-8859-1). Percent-decoded UTF-8 therefore stays as its bytes, and {@link CgiParams} sends
 * the bytes on unchanged.
 *
 * @param requestUri the path and query as the client sent them ({@code REQUEST_URI})
 * @param path       the decoded, normalised path, starting with {@code /} ({@code DOCUMENT_URI})
 * @param query      the query as sent, without {@code ?}; empty when there is none ({@code QUERY_STRING})
 */
record RequestPath(String requestUri, String path, String query) {

    /**
     * Parses an origin-form ({@code /a/b?c}) or absolute-form ({@code http://host/a/b?c}) request-target.
     *
     * @throws HttpStatusException 400 for any other form, a broken or NUL escape, or a {@code ..} segment
     */
    static RequestPath parse(String target) throws HttpStatusException {
        String uri = stripSchemeAndAuthority(target);
        if (!uri.startsWith("/")) {
            throw badRequest("request-target '" + target + "' (expected: /path or http://host/path)");
        }
        int question = uri.indexOf('?');
        String rawPath = question < 0 ? uri : uri.substring(0, question);
        String query = question < 0 ? "" : uri.substring(question + 1);
        return new RequestPath(uri, normalise(decode(rawPath)), query);
    }

    /**
     * Merges slashes and drops {@code .} segments; a trailing slash (or a trailing {@code .} segment) is kept as
     * a trailing slash.
     *
     * @throws HttpStatusException 400 for a {@code ..} segment
     */
    static String normalise(String decoded) throws HttpStatusException {
        String[] segments = decoded.split("/", -1);
        StringBuilder out = new StringBuilder(decoded.length() + 1);
        for (String segment : segments) {
            if (segment.equals("..")) {
                throw badRequest("path '" + decoded + "' has a '..' segment");
            }
            if (!segment.isEmpty() && !segment.equals(".")) {
                out.append('/').append(segment);
            }
        }
        String last = segments[segments.length - 1];
        if (out.isEmpty() || last.isEmpty() || last.equals(".")) {
            out.append('/');
        }
        return out.toString();
    }

    /** Whether a path built from pieces of a normalised one has a {@code ..} segment after all. */
    static boolean hasDotDotSegment(String path) {
        for (String segment : path.split("/", -1)) {
            if (segment.equals("..")) {
                return true;
            }
        }
        return false;
    }

    private static String stripSchemeAndAuthority(String target) {
        int schemeEnd = target.indexOf("://");
        if (schemeEnd <= 0 || !target.regionMatches(true, 0, "http", 0, 4)
                || !(schemeEnd == 4 || (schemeEnd == 5 && Character.toLowerCase(target.charAt(4)) == 's'))) {
            return target;
        }
        int pathStart = target.indexOf('/', schemeEnd + 3);
        int queryStart = target.indexOf('?', schemeEnd + 3);
        if (pathStart < 0 || (queryStart >= 0 && queryStart < pathStart)) {
            return queryStart < 0 ? "/" : "/" + target.substring(queryStart);
        }
        return target.substring(pathStart);
    }

    private static String decode(String raw) throws HttpStatusException {
        if (raw.indexOf('%') < 0) {
            return raw;
        }
        StringBuilder out = new StringBuilder(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c != '%') {
                out.append(c);
                continue;
            }
            int hi = i + 2 < raw.length() ? Character.digit(raw.charAt(i + 1), 16) : -1;
            int lo = hi < 0 ? -1 : Character.digit(raw.charAt(i + 2), 16);
            if (lo < 0) {
                throw badRequest("path '" + raw + "' has a broken percent escape");
            }
            int b = hi << 4 | lo;
            if (b == 0) {
                throw badRequest("path '" + raw + "' has an encoded NUL byte");
            }
            out.append((char) b);
            i += 2;
        }
        return out.toString();
    }

    private static HttpStatusException badRequest(String message) {
        return new HttpStatusException(HttpResponseStatus.BAD_REQUEST, message);
    }
}
