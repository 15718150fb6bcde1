package dev.fcgi.pool.config;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The {@code command} value split like a command line. */
class CommandLineTest {

    private static List<String> split(String text) throws FpmValues.BadValue {
        return CommandLine.split(text, "www", Map.of("PHPRC", "/etc/php")::get);
    }

    @Test
    @DisplayName("blanks separate words; quotes group them; escapes; ${VAR} outside single quotes; $pool everywhere")
    void split() throws Exception {
        assertEquals(List.of("/usr/bin/php-cgi"), split("/usr/bin/php-cgi"));
        assertEquals(List.of("/usr/bin/php-cgi", "-c", "/etc/my php.ini", "-d", "memory_limit=256M"),
                split("/usr/bin/php-cgi  -c '/etc/my php.ini'\t-d memory_limit=256M"));
        assertEquals(List.of("a \"b\" $c \\d", "e f"), split("\"a \\\"b\\\" \\$c \\d\" e\\ f"));
        assertEquals(List.of("/etc/php/php.ini", "${PHPRC}", "/etc/php"), split("${PHPRC}/php.ini '${PHPRC}' \"${PHPRC}\""));
        assertEquals(List.of("-d", "session.save_path=/var/lib/php/www", "'www'"),
                split("-d session.save_path=/var/lib/php/$pool \"'\"$pool\"'\""));
        assertEquals(List.of("", "x"), split("'' x"));
        assertEquals(List.of(), split("   "));
    }

    @Test
    @DisplayName("an unclosed quote or ${ is refused")
    void unclosed() {
        assertEquals("unclosed ' in the command",
                assertThrows(FpmValues.BadValue.class, () -> split("php-cgi 'x")).getMessage());
        assertEquals("unclosed \" in the command",
                assertThrows(FpmValues.BadValue.class, () -> split("php-cgi \"x")).getMessage());
        assertEquals("unclosed ${ in the command",
                assertThrows(FpmValues.BadValue.class, () -> split("php-cgi ${X")).getMessage());
    }
}
