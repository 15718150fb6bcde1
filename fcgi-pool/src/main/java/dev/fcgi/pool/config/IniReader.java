package dev.fcgi.pool.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Scans a php-fpm.conf file as php-fpm does: line by line, each line with PHP's INI scanner in its normal mode
 * ({@code zend_parse_ini_string(..., ZEND_INI_SCANNER_NORMAL)}). The rules, checked against php-fpm 8.2:
 *
 * <ul>
 *   <li>{@code ;} starts a comment anywhere outside quotes. A line starting with {@code #} is read as a comment too,
 *       with a notice: php-fpm (PHP 7.0 and later) refuses it.</li>
 *   <li>{@code [name]} opens a section; {@code key = value} and {@code key[offset] = value} set an entry. Keys are
 *       trimmed; an offset loses its leading blanks.</li>
 *   <li>Values: leading and trailing blanks are dropped, blanks inside kept. {@code "..."} is a string with the
 *       escapes {@code \"}, {@code \\} and {@code \$} and {@code ${VAR}} expansion; {@code '...'} is taken as it
 *       is; adjacent parts are joined ({@code "a" b} is {@code ab}: blanks next to a double quote go). A bare
 *       {@code yes}, {@code on} or {@code true} (any case) is {@code "1"}, a bare {@code no}, {@code off},
 *       {@code false}, {@code none} or {@code null} is {@code ""}; such a word must be the whole value.
 *       {@code ${VAR}} is read from the environment (empty when unset). An {@code =} outside quotes is a syntax
 *       error.</li>
 *   <li>A value with the operators {@code | & ^ ~ ! ( )} (PHP evaluates {@code E_ALL & ~E_NOTICE} with its
 *       constants) is kept as written and marked as an expression; php-cgi evaluates it when it reads the value
 *       as a {@code -d} option.</li>
 *   <li>A raw key (our {@code command}) takes the text after {@code =} up to a {@code ;} outside quotes, with its
 *       quotes, for a command-line splitter.</li>
 * </ul>
 */
final class IniReader {

    private static final Set<String> TRUE_WORDS = Set.of("true", "on", "yes");
    private static final Set<String> FALSE_WORDS = Set.of("false", "off", "no", "none", "null");
    private static final String OPERATORS = "|&^~!()";
    /** Characters that end a bare value word: PHP's VALUE_CHARS are everything else (and a '$' not before '{'). */
    private static final String VALUE_STOP = " \t;=\"'" + OPERATORS;
    /** Characters that cannot be in a key: PHP's LABEL_CHAR are everything else. */
    private static final String LABEL_STOP = "=\t;&|^$~(){}!\"[]\0";

    private final Function<String, String> environment;
    private final Set<String> rawKeys;
    private final Consumer<String> notices;

    /**
     * @param environment {@code ${VAR}} lookups; {@code null} for an unset variable
     * @param rawKeys     lower-case keys whose values are taken raw
     * @param notices     receives the notices (a {@code #} comment)
     */
    IniReader(Function<String, String> environment, Set<String> rawKeys, Consumer<String> notices) {
        this.environment = environment;
        this.rawKeys = rawKeys;
        this.notices = notices;
    }

    /** Receives the statements, each line's as soon as that line is scanned. */
    @FunctionalInterface
    interface Handler {
        void statement(IniStatement statement) throws FpmConfigException;
    }

    /**
     * Scans {@code text}, the content of {@code file}, and hands each line's statements to {@code handler} before it
     * scans the next line, as php-fpm does: an error in an earlier line comes before a syntax error in a later one,
     * and an {@code include} is read where it stands.
     */
    void read(Path file, String text, Handler handler) throws FpmConfigException {
        String[] lines = text.split("\n", -1);
        List<IniStatement> statements = new ArrayList<>();
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            if (line.endsWith("\r")) {
                line = line.substring(0, line.length() - 1);
            }
            statements.clear();
            new Line(new Location(file, i + 1), line).scan(statements);
            for (IniStatement statement : statements) {
                handler.statement(statement);
            }
        }
    }

    /** The statements of {@code text}, in order. */
    List<IniStatement> read(Path file, String text) throws FpmConfigException {
        List<IniStatement> all = new ArrayList<>();
        read(file, text, all::add);
        return all;
    }

    /** The scanner of one line. */
    private final class Line {
        private final Location where;
        private final String s;
        private int pos;

        Line(Location where, String s) {
            this.where = where;
            this.s = s;
        }

        void scan(List<IniStatement> out) throws FpmConfigException {
            boolean first = true;
            for (;;) {
                skipBlanks();
                if (end() || peek() == ';') {
                    return;
                }
                char c = peek();
                if (c == '#' && first) {
                    notices.accept(where + " a line starting with '#' is read as a comment, but php-fpm (PHP 7.0 and"
                            + " later) refuses it: use ';'");
                    return;
                }
                first = false;
                if (c == '[') {
                    pos++;
                    String name = bracketed("section name");
                    out.add(new IniStatement.Section(where, name));
                    continue;                       // php-fpm reads a statement after "[name]" on the same line
                }
                out.add(entry());
                return;
            }
        }

        private IniStatement.Entry entry() throws FpmConfigException {
            int start = pos;
            while (!end() && LABEL_STOP.indexOf(peek()) < 0) {
                pos++;
            }
            String key = s.substring(start, pos).strip();
            if (key.isEmpty()) {
                throw unexpected();
            }
            String offset = null;
            if (!end() && peek() == '[') {
                pos++;
                skipBlanks();
                offset = bracketed("offset");
            }
            skipBlanks();
            if (end() || peek() == ';') {
                throw new FpmConfigException(where, "syntax error: '" + key + "' has no '= value'"
                        + " (php-fpm: value is NULL for a ZEND_INI_PARSER_ENTRY)");
            }
            if (peek() != '=') {
                throw unexpected();
            }
            pos++;
            skipBlanks();
            if (offset == null && rawKeys.contains(key.toLowerCase(Locale.ROOT))) {
                return new IniStatement.Entry(where, key, null, raw(), false);
            }
            return value(key, offset);
        }

        /** A section name or an offset, up to its ']': quotes, ${VAR} and escapes as PHP reads them there. */
        private String bracketed(String what) throws FpmConfigException {
            StringBuilder text = new StringBuilder();
            for (;;) {
                if (end()) {
                    throw new FpmConfigException(where, "syntax error, unexpected end of line, expecting ']'");
                }
                char c = peek();
                if (c == ']') {
                    pos++;
                    return text.toString();
                } else if (c == ';' || c == '\0') {
                    throw new FpmConfigException(where, "syntax error, unexpected '" + c + "' in a " + what
                            + ", expecting ']'");
                } else if (blankBeforeQuote()) {
                    skipBlanks();
                } else if (c == '"') {
                    text.append(doubleQuoted());
                    skipBlanks();
                } else if (c == '\'') {
                    text.append(singleQuoted());
                } else if (isVariable()) {
                    text.append(variable());
                } else if (c == '\\' && pos + 1 < s.length()) {
                    text.append(c).append(s.charAt(pos + 1));  // kept as written, as PHP does here
                    pos += 2;
                } else {
                    text.append(c);
                    pos++;
                }
            }
        }

        private IniStatement.Entry value(String key, String offset) throws FpmConfigException {
            StringBuilder cooked = new StringBuilder();
            StringBuilder written = new StringBuilder();     // the expression form: as written, ${VAR} expanded
            boolean expression = false;
            String word = null;                               // a bare yes/no/... seen
            int parts = 0;
            while (!end()) {
                char c = peek();
                if (c == ' ' || c == '\t') {
                    int blanks = pos;
                    skipBlanks();
                    if (end() || peek() == ';' || peek() == '"') {
                        continue;                             // trailing blanks, or blanks before a quote, go
                    }
                    cooked.append(s, blanks, pos);
                    written.append(s, blanks, pos);
                    parts++;
                } else if (c == ';') {
                    break;
                } else if (c == '"') {
                    int from = pos;
                    cooked.append(doubleQuoted());
                    written.append(s, from, pos);
                    skipBlanks();
                    parts++;
                } else if (c == '\'') {
                    int from = pos;
                    cooked.append(singleQuoted());
                    written.append(s, from, pos);
                    parts++;
                } else if (isVariable()) {
                    String v = variable();
                    cooked.append(v);
                    written.append(v);
                    parts++;
                } else if (c == '=') {
                    throw unexpected();
                } else if (OPERATORS.indexOf(c) >= 0) {
                    expression = true;
                    written.append(c);
                    pos++;
                    parts++;
                } else {
                    int from = pos;
                    while (!end() && VALUE_STOP.indexOf(peek()) < 0 && !isVariable()) {
                        pos++;
                    }
                    String text = s.substring(from, pos);
                    String lower = text.toLowerCase(Locale.ROOT);
                    if (TRUE_WORDS.contains(lower) || FALSE_WORDS.contains(lower)) {
                        word = text;
                        cooked.append(TRUE_WORDS.contains(lower) ? "1" : "");
                        skipBlanks();                         // PHP's boolean token takes the blanks after it
                    } else {
                        cooked.append(text);
                    }
                    written.append(text);
                    parts++;
                }
            }
            if (word != null && parts > 1) {
                throw new FpmConfigException(where, "syntax error, unexpected '" + word + "': a bare on, off, yes,"
                        + " no, true, false, none or null must be the whole value (quote the value)");
            }
            return new IniStatement.Entry(where, key, offset,
                    expression ? written.toString().strip() : cooked.toString(), expression);
        }

        /** A raw value: up to a ';' outside quotes, quotes kept, trimmed. */
        private String raw() throws FpmConfigException {
            int from = pos;
            char quote = 0;
            for (; !end(); pos++) {
                char c = peek();
                if (quote == 0) {
                    if (c == ';') {
                        break;
                    }
                    if (c == '"' || c == '\'') {
                        quote = c;
                    }
                } else if (c == '\\' && quote == '"') {
                    pos++;
                } else if (c == quote) {
                    quote = 0;
                }
            }
            if (quote != 0) {
                throw new FpmConfigException(where, "syntax error, unexpected end of line, expecting " + quoted(quote));
            }
            return s.substring(from, Math.min(pos, s.length())).strip();
        }

        /** {@code "..."}: the escapes \" \\ \$ and ${VAR}; other backslashes are kept. */
        private String doubleQuoted() throws FpmConfigException {
            pos++;
            StringBuilder text = new StringBuilder();
            while (!end()) {
                char c = peek();
                if (c == '"') {
                    pos++;
                    return text.toString();
                }
                if (c == '\\' && pos + 1 < s.length()) {
                    char next = s.charAt(pos + 1);
                    if (next == '"' && pos + 2 == s.length()) {
                        text.append('\\');                    // PHP's Windows-path case: "C:\dir\" ends here
                        pos++;
                        continue;
                    }
                    if (next == '"' || next == '\\' || next == '$') {
                        text.append(next);
                    } else {
                        text.append(c).append(next);
                    }
                    pos += 2;
                } else if (isVariable()) {
                    text.append(variable());
                } else {
                    text.append(c);
                    pos++;
                }
            }
            throw new FpmConfigException(where, "syntax error, unexpected end of line, expecting '\"'");
        }

        /** {@code '...'}: taken as it is. */
        private String singleQuoted() throws FpmConfigException {
            int close = s.indexOf('\'', pos + 1);
            if (close < 0) {
                throw new FpmConfigException(where, "syntax error, unexpected end of line, expecting \"'\"");
            }
            String text = s.substring(pos + 1, close);
            pos = close + 1;
            return text;
        }

        /** {@code ${NAME}}: the environment variable, empty when unset. */
        private String variable() throws FpmConfigException {
            int close = s.indexOf('}', pos + 2);
            if (close < 0) {
                throw new FpmConfigException(where, "syntax error, unexpected end of line, expecting '}'");
            }
            String name = s.substring(pos + 2, close).strip();
            pos = close + 1;
            String value = name.isEmpty() ? null : environment.apply(name);
            return value == null ? "" : value;
        }

        private boolean isVariable() {
            return peek() == '$' && pos + 1 < s.length() && s.charAt(pos + 1) == '{';
        }

        private boolean blankBeforeQuote() {
            int i = pos;
            while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\t')) {
                i++;
            }
            return i > pos && i < s.length() && s.charAt(i) == '"';
        }

        private FpmConfigException unexpected() {
            return new FpmConfigException(where, "syntax error, unexpected " + quoted(peek()));
        }

        private String quoted(char c) {
            return c == '\'' ? "\"'\"" : "'" + c + "'";
        }

        private void skipBlanks() {
            while (!end() && (peek() == ' ' || peek() == '\t')) {
                pos++;
            }
        }

        private boolean end() {
            return pos >= s.length();
        }

        private char peek() {
            return s.charAt(pos);
        }
    }
}
