package dev.fcgi.benchmarks.load;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A JSON object written on one line: members in the order put, values that are strings, numbers, booleans, other
 * {@code JsonLine}s or lists of these. Doubles are written with three decimals, non-finite ones as {@code null}.
 */
final class JsonLine {

    private final Map<String, Object> members = new LinkedHashMap<>();

    /** Adds (or replaces) a member. */
    JsonLine put(String name, Object value) {
        members.put(name, value);
        return this;
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder(256);
        write(s, this);
        return s.toString();
    }

    private static void write(StringBuilder s, Object value) {
        switch (value) {
            case null -> s.append("null");
            case String text -> quote(s, text);
            case Double d -> s.append(Double.isFinite(d) ? String.format(Locale.ROOT, "%.3f", d) : "null");
            case Number n -> s.append(n);
            case Boolean b -> s.append(b);
            case JsonLine object -> {
                s.append('{');
                String separator = "";
                for (Map.Entry<String, Object> member : object.members.entrySet()) {
                    s.append(separator);
                    quote(s, member.getKey());
                    s.append(':');
                    write(s, member.getValue());
                    separator = ",";
                }
                s.append('}');
            }
            case List<?> list -> {
                s.append('[');
                for (int i = 0; i < list.size(); i++) {
                    if (i > 0) {
                        s.append(',');
                    }
                    write(s, list.get(i));
                }
                s.append(']');
            }
            default -> throw new IllegalArgumentException("not a JSON value: " + value.getClass().getName());
        }
    }

    private static void quote(StringBuilder s, String text) {
        s.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> s.append("\\\"");
                case '\\' -> s.append("\\\\");
                case '\n' -> s.append("\\n");
                case '\r' -> s.append("\\r");
                case '\t' -> s.append("\\t");
                default -> {
                    if (c < 0x20) {
                        s.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        s.append(c);
                    }
                }
            }
        }
        s.append('"');
    }
}
