package dev.fcgi.benchmarks.load;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.random.RandomGenerator;

/**
 * The kinds of request a run sends, each picked at random in proportion to its weight. A mix file has one kind a
 * line, {@code weight method uri [body-size]}; blank lines and text after {@code #} are ignored:
 *
 * <pre>
 * # weight method uri              body-size
 *   80     GET    /index.php?page=1
 *   15     GET    /search.php?q=fcgi
 *    5     POST   /upload.php      16k
 * </pre>
 */
final class RequestMix {

    /** The largest request body a kind may have (bodies are held in memory, one array per kind). */
    static final long MAX_BODY_SIZE = 256L * 1024 * 1024;

    /**
     * One kind of request. The body is shared by every request of the kind and never modified.
     *
     * @param weight how often the kind is picked, relative to the others
     * @param method the {@code REQUEST_METHOD}
     * @param uri    the {@code REQUEST_URI}: a path starting with {@code /}, and maybe {@code ?query}
     * @param body   the request body (STDIN), empty for none
     */
    record Kind(int weight, String method, String uri, byte[] body) {

        /** How the kind is named in reports: {@code GET /index.php}, {@code POST /upload.php (16384 B)}. */
        String label() {
            return method + ' ' + uri + (body.length > 0 ? " (" + body.length + " B)" : "");
        }
    }

    private final List<Kind> kinds;
    private final int[] cumulativeWeights;

    private RequestMix(List<Kind> kinds) {
        this.kinds = List.copyOf(kinds);
        cumulativeWeights = new int[kinds.size()];
        long total = 0;
        for (int i = 0; i < kinds.size(); i++) {
            total += kinds.get(i).weight();
            if (total > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("the weights add up to more than " + Integer.MAX_VALUE);
            }
            cumulativeWeights[i] = (int) total;
        }
    }

    /** A mix of one kind. */
    static RequestMix of(String method, String uri, byte[] body) {
        return new RequestMix(List.of(new Kind(1, checkMethod(method), checkUri(uri), body)));
    }

    /** Reads a mix file (UTF-8). */
    static RequestMix read(Path file) throws IOException {
        return parse(Files.readAllLines(file, StandardCharsets.UTF_8), file.toString());
    }

    /**
     * Parses the lines of a mix file; {@code source} names it in error messages.
     *
     * @throws IllegalArgumentException naming the line and what is wrong with it
     */
    static RequestMix parse(List<String> lines, String source) {
        List<Kind> kinds = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            int hash = line.indexOf('#');
            String text = (hash < 0 ? line : line.substring(0, hash)).strip();
            if (text.isEmpty()) {
                continue;
            }
            try {
                kinds.add(parseKind(text.split("\\s+")));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(source + ':' + (i + 1) + ": " + e.getMessage()
                        + " (expected: weight method uri [body-size])");
            }
        }
        if (kinds.isEmpty()) {
            throw new IllegalArgumentException(source + ": no request kinds (expected lines of: weight method uri"
                    + " [body-size])");
        }
        return new RequestMix(kinds);
    }

    private static Kind parseKind(String[] fields) {
        if (fields.length < 3 || fields.length > 4) {
            throw new IllegalArgumentException(fields.length + " fields");
        }
        int weight;
        try {
            weight = Integer.parseInt(fields[0]);
        } catch (NumberFormatException e) {
            weight = 0;
        }
        if (weight < 1) {
            throw new IllegalArgumentException("weight '" + fields[0] + "' is not a positive integer");
        }
        byte[] body = fields.length == 4 ? body(parseSize(fields[3])) : new byte[0];
        return new Kind(weight, checkMethod(fields[1]), checkUri(fields[2]), body);
    }

    /**
     * Parses a size in bytes: {@code 512}, {@code 16k} (KiB) or {@code 2m} (MiB), at most {@link #MAX_BODY_SIZE}.
     *
     * @throws IllegalArgumentException naming the text
     */
    static long parseSize(String text) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        long unit = t.endsWith("k") ? 1024 : t.endsWith("m") ? 1024 * 1024 : 1;
        String digits = unit == 1 ? t : t.substring(0, t.length() - 1);
        long size;
        try {
            size = Math.multiplyExact(Long.parseLong(digits), unit);
        } catch (NumberFormatException | ArithmeticException e) {
            size = -1;
        }
        if (size < 0 || size > MAX_BODY_SIZE) {
            throw new IllegalArgumentException("size '" + text + "' is not a number of bytes from 0 to 256m"
                    + " (suffixes: k, m)");
        }
        return size;
    }

    /** A body of {@code size} bytes of {@code 'x'}. */
    static byte[] body(long size) {
        byte[] body = new byte[Math.toIntExact(size)];
        Arrays.fill(body, (byte) 'x');
        return body;
    }

    private static String checkMethod(String method) {
        if (method.isEmpty() || !method.chars().allMatch(c -> c >= 'A' && c <= 'Z')) {
            throw new IllegalArgumentException("method '" + method + "' is not an HTTP method (GET, POST, ...)");
        }
        return method;
    }

    private static String checkUri(String uri) {
        if (!uri.startsWith("/") || uri.chars().anyMatch(c -> c <= ' ' || c == 0x7F)) {
            throw new IllegalArgumentException("uri '" + uri + "' is not a path starting with / (and maybe ?query)"
                    + " without spaces");
        }
        return uri;
    }

    /** The kinds, in the order given. */
    List<Kind> kinds() {
        return kinds;
    }

    /** The index of a kind picked at random by weight. */
    int pick(RandomGenerator random) {
        if (cumulativeWeights.length == 1) {
            return 0;
        }
        int r = random.nextInt(cumulativeWeights[cumulativeWeights.length - 1]);
        int i = Arrays.binarySearch(cumulativeWeights, r + 1);
        return i >= 0 ? i : -i - 1;
    }
}
