package dev.fcgi.pool.config;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Splits our {@code command} value into the program and its arguments, like a shell without its expansions: words
 * are separated by blanks; {@code '...'} keeps everything as written; {@code "..."} keeps blanks, with {@code \"},
 * {@code \\} and {@code \$} as escapes; a backslash outside quotes takes the next character as it is.
 * {@code ${VAR}} (from the environment, empty when unset) is expanded outside single quotes, and {@code $pool}
 * everywhere, as FPM expands it in every value.
 */
final class CommandLine {

    private CommandLine() {
    }

    /**
     * The words of {@code text}.
     *
     * @throws FpmValues.BadValue for an unclosed quote or {@code ${}
     */
    static List<String> split(String text, String pool, Function<String, String> environment)
            throws FpmValues.BadValue {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean inWord = false;
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == ' ' || c == '\t') {
                if (inWord) {
                    words.add(word.toString());
                    word.setLength(0);
                    inWord = false;
                }
                i++;
                continue;
            }
            inWord = true;
            if (c == '\'') {
                int close = text.indexOf('\'', i + 1);
                if (close < 0) {
                    throw new FpmValues.BadValue("unclosed ' in the command");
                }
                word.append(text, i + 1, close);
                i = close + 1;
            } else if (c == '"') {
                i++;
                boolean closed = false;
                while (i < text.length()) {
                    char d = text.charAt(i);
                    if (d == '"') {
                        closed = true;
                        i++;
                        break;
                    }
                    if (d == '\\' && i + 1 < text.length() && "\"\\$".indexOf(text.charAt(i + 1)) >= 0) {
                        word.append(text.charAt(i + 1));
                        i += 2;
                    } else if (d == '$' && text.startsWith("${", i)) {
                        i = variable(text, i, word, environment);
                    } else {
                        word.append(d);
                        i++;
                    }
                }
                if (!closed) {
                    throw new FpmValues.BadValue("unclosed \" in the command");
                }
            } else if (c == '\\' && i + 1 < text.length()) {
                word.append(text.charAt(i + 1));
                i += 2;
            } else if (c == '$' && text.startsWith("${", i)) {
                i = variable(text, i, word, environment);
            } else {
                word.append(c);
                i++;
            }
        }
        if (inWord) {
            words.add(word.toString());
        }
        List<String> expanded = new ArrayList<>(words.size());
        for (String w : words) {
            expanded.add(FpmValues.expandPool(w, pool));
        }
        return expanded;
    }

    private static int variable(String text, int at, StringBuilder word, Function<String, String> environment)
            throws FpmValues.BadValue {
        int close = text.indexOf('}', at + 2);
        if (close < 0) {
            throw new FpmValues.BadValue("unclosed ${ in the command");
        }
        String value = environment.apply(text.substring(at + 2, close).strip());
        word.append(value == null ? "" : value);
        return close + 1;
    }
}
