package dev.fcgi.pool.config;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * PHP's INI scanner as php-fpm uses it, line by line. Every expected value here was checked with php-fpm 8.2
 * ({@code php-fpm8.2 -tt}); {@link PhpFpmParityTest} compares with it directly when it is installed.
 */
class IniReaderTest {

    private static final Path FILE = Path.of("/etc/php-fpm.d/www.conf");
    private final List<String> notices = new ArrayList<>();
    private final IniReader reader = new IniReader(Map.of("HOME", "/root", "APP", "shop")::get, Set.of("command"),
            notices::add);

    private List<IniStatement> read(String text) throws FpmConfigException {
        return reader.read(FILE, text);
    }

    private String value(String valueText) throws FpmConfigException {
        List<IniStatement> statements = read("key = " + valueText + "\n");
        assertEquals(1, statements.size(), statements.toString());
        return ((IniStatement.Entry) statements.get(0)).value();
    }

    private String error(String line) {
        return assertThrows(FpmConfigException.class, () -> read("[www]\n" + line + "\n")).getMessage();
    }

    @Test
    @DisplayName("sections, keys, offsets and comments, with their lines")
    void statements() throws Exception {
        List<IniStatement> s = read("""
                ; a comment
                [global]
                pid = /run/fpm.pid   ; trailing comment

                  [www]   ; comment after a section
                env[PATH] = /usr/bin
                access.suppress_path[] = /ping
                Listen.Owner = www-data
                env[ Spaced ] = x
                """);
        assertEquals(7, s.size());
        assertEquals(new IniStatement.Section(new Location(FILE, 2), "global"), s.get(0));
        assertEquals(new IniStatement.Entry(new Location(FILE, 3), "pid", null, "/run/fpm.pid", false), s.get(1));
        assertEquals(new IniStatement.Section(new Location(FILE, 5), "www"), s.get(2));
        assertEquals(new IniStatement.Entry(new Location(FILE, 6), "env", "PATH", "/usr/bin", false), s.get(3));
        assertEquals(new IniStatement.Entry(new Location(FILE, 7), "access.suppress_path", "", "/ping", false),
                s.get(4));
        assertEquals("Listen.Owner", ((IniStatement.Entry) s.get(5)).key(), "keys keep their case (matched later)");
        assertEquals("Spaced ", ((IniStatement.Entry) s.get(6)).offset(), "php-fpm drops only the leading blanks");
        assertTrue(notices.isEmpty());
    }

    @Test
    @DisplayName("section names: kept as written, quotes and ${VAR} applied, a statement may follow on the line")
    void sectionNames() throws Exception {
        assertEquals(" my pool ", ((IniStatement.Section) read("[ my pool ]").get(0)).name());
        assertEquals("shoppool", ((IniStatement.Section) read("[${APP}pool]").get(0)).name());
        assertEquals("a b", ((IniStatement.Section) read("[\"a b\"]").get(0)).name());
        List<IniStatement> two = read("[www] pm = static");
        assertInstanceOf(IniStatement.Section.class, two.get(0));
        assertEquals("static", ((IniStatement.Entry) two.get(1)).value());
    }

    @Test
    @DisplayName("values: quotes, escapes, joined parts, blanks, ${VAR}, $ and the characters that need no quotes")
    void values() throws Exception {
        assertEquals("x yz", value("\"x y\" z"));
        assertEquals("ab   c", value("\"a\"   b   c  ; comment"));
        assertEquals("multi wordrawx", value("\"multi word\" 'raw' \"x\""));
        assertEquals("a b c d", value("a 'b c' d"));
        assertEquals("abc", value("'a'\"b\"c"));
        assertEquals("q\"uo$te\\n", value("\"q\\\"uo\\$te\\n\""));
        assertEquals("\\back\\slash", value("\"\\\\back\\slash\""));
        assertEquals("C:\\dir\\", value("\"C:\\dir\\\""), "PHP's Windows-path case");
        assertEquals("raw ${HOME} \\n", value("'raw ${HOME} \\n'"));
        assertEquals("/root/b", value("${HOME}/b"));
        assertEquals("/rootx", value("\"${HOME}x\""));
        assertEquals("", value("\"${UNSET}\""));
        assertEquals("a$b", value("a$b"));
        assertEquals("$pool.sock", value("$pool.sock"), "$pool is left for the reader");
        assertEquals("a;b", value("\"a;b\""));
        assertEquals("a", value("a;b"));
        assertEquals("a # b", value("a # b"));
        assertEquals("tab\tx", value("\ttab\tx\t"));
        assertEquals("[::1]:9000", value("[::1]:9000"));
        assertEquals("%R - %u %t \"%m %r%Q%q\" %s %{mili}d %{kilo}M %C%%",
                value("\"%R - %u %t \\\"%m %r%Q%q\\\" %s %{mili}d %{kilo}M %C%%\""));
        assertEquals("127.0.0.1, ::1", value("127.0.0.1, ::1"));
        assertEquals("-3", value("-3"));
        assertEquals("007", value("007"));
        assertEquals("", value(""));
        assertEquals("", value("''"));
        assertEquals("", value("\"\""));
    }

    @Test
    @DisplayName("a bare yes/on/true is \"1\", no/off/false/none/null is \"\", in any case; quoted they stay words")
    void booleanWords() throws Exception {
        for (String yes : List.of("yes", "on", "true", "On", "TRUE", "yes   ")) {
            assertEquals("1", value(yes), yes);
        }
        for (String no : List.of("no", "off", "false", "none", "null", "Off", "NONE")) {
            assertEquals("", value(no), no);
        }
        assertEquals("yes", value("\"yes\""));
        assertEquals("yesterday", value("yesterday"));
        assertEquals("/var/log/no", value("/var/log/no"));
        assertEquals("[/etc/php-fpm.d/www.conf:2] syntax error, unexpected 'on': a bare on, off, yes, no, true,"
                + " false, none or null must be the whole value (quote the value)", error("key = on line"));
        assertEquals("[/etc/php-fpm.d/www.conf:2] syntax error, unexpected 'on': a bare on, off, yes, no, true,"
                + " false, none or null must be the whole value (quote the value)", error("key = turn on"));
    }

    @Test
    @DisplayName("an expression with | & ^ ~ ! ( ) is kept as written for PHP to evaluate, ${VAR} expanded")
    void expressions() throws Exception {
        IniStatement.Entry e = (IniStatement.Entry) read("php_value[error_reporting] = E_ALL & ~E_NOTICE ; x")
                .get(0);
        assertTrue(e.expression());
        assertEquals("E_ALL & ~E_NOTICE", e.value());
        assertEquals("(/root)", ((IniStatement.Entry) read("k = (${HOME})").get(0)).value());
        assertFalse(((IniStatement.Entry) read("k = E_ALL").get(0)).expression(), "a constant alone is a string");
    }

    @Test
    @DisplayName("a raw key keeps its quotes and stops at a ';' outside them")
    void rawKey() throws Exception {
        IniStatement.Entry e = (IniStatement.Entry) read(
                "Command = /usr/bin/php-cgi -c '/etc/my php.ini' -d \"a=b;c\" ; comment").get(0);
        assertEquals("/usr/bin/php-cgi -c '/etc/my php.ini' -d \"a=b;c\"", e.value());
        assertNull(e.offset());
    }

    @Test
    @DisplayName("a '#' line is a comment here, with a notice that php-fpm refuses it")
    void hashComment() throws Exception {
        assertEquals(List.of(), read("  # pm = static\n"));
        assertEquals(List.of("[/etc/php-fpm.d/www.conf:1] a line starting with '#' is read as a comment, but"
                + " php-fpm (PHP 7.0 and later) refuses it: use ';'"), notices);
    }

    @Test
    @DisplayName("syntax errors, with the file and line")
    void syntaxErrors() {
        String at = "[/etc/php-fpm.d/www.conf:2] ";
        assertEquals(at + "syntax error, unexpected '='", error("env[X] = a=b"));
        assertEquals(at + "syntax error, unexpected '='", error("= value"));
        assertEquals(at + "syntax error, unexpected end of line, expecting '\"'", error("listen.mode = \"0660"));
        assertEquals(at + "syntax error, unexpected end of line, expecting '\"'", error("k = x\""));
        assertEquals(at + "syntax error, unexpected end of line, expecting \"'\"", error("k = it's"));
        assertEquals(at + "syntax error, unexpected end of line, expecting ']'", error("[broken"));
        assertEquals(at + "syntax error, unexpected end of line, expecting ']'", error("env[X = 1"));
        assertEquals(at + "syntax error, unexpected end of line, expecting '}'", error("k = a${X"));
        assertEquals(at + "syntax error, unexpected ';' in a section name, expecting ']'", error("[a;b]"));
        assertEquals(at + "syntax error: 'key' has no '= value' (php-fpm: value is NULL for a"
                + " ZEND_INI_PARSER_ENTRY)", error("key"));
        assertEquals(at + "syntax error, unexpected '('", error("f(x) = 1"));
    }

    @Test
    @DisplayName("CRLF line ends are read as LF")
    void crlf() throws Exception {
        List<IniStatement> s = read("[www]\r\npm = static\r\n");
        assertEquals("static", ((IniStatement.Entry) s.get(1)).value());
        assertEquals(2, s.get(1).where().line());
    }
}
