package dev.fcgi.protocol.testing;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A CGI response as an application writes it on FCGI_STDOUT and as {@code cgi-fcgi} prints it: header lines
 * ({@code Status: 200 OK}, {@code Content-Type: ...}) ending with CRLF or LF, a blank line, then the body.
 */
public record CgiResponse(List<String> headerLines, byte[] body) {

    /** Splits {@code output} at the first blank line; fails when there is none. */
    public static CgiResponse parse(byte[] output) {
        int end = -1;
        int bodyStart = -1;
        for (int i = 0; i < output.length; i++) {
            if (output[i] != '\n') {
                continue;
            }
            if (i + 1 < output.length && output[i + 1] == '\n') {
                end = i;
                bodyStart = i + 2;
                break;
            }
            if (i + 2 < output.length && output[i + 1] == '\r' && output[i + 2] == '\n') {
                end = i;
                bodyStart = i + 3;
                break;
            }
        }
        if (end < 0) {
            throw new AssertionError("no blank line after the CGI headers in:\n"
                    + new String(output, 0, Math.min(output.length, 2000), StandardCharsets.ISO_8859_1));
        }
        String head = new String(output, 0, end, StandardCharsets.ISO_8859_1);
        List<String> lines = new ArrayList<>();
        for (String line : head.split("\n")) {
            lines.add(line.endsWith("\r") ? line.substring(0, line.length() - 1) : line);
        }
        return new CgiResponse(List.copyOf(lines), Arrays.copyOfRange(output, bodyStart, output.length));
    }

    /** The value of the first header {@code name} (any case), or {@code null}. */
    public String header(String name) {
        String prefix = name.toLowerCase(Locale.ROOT) + ":";
        for (String line : headerLines) {
            if (line.toLowerCase(Locale.ROOT).startsWith(prefix)) {
                return line.substring(prefix.length()).strip();
            }
        }
        return null;
    }

    public String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }
}
