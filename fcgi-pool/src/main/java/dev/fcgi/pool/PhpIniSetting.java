package dev.fcgi.pool;

import java.util.Objects;

/**
 * One {@code php_value[]} / {@code php_flag[]} (or {@code php_admin_...}) directive of a pool: an INI setting that
 * PHP children get on their command line as {@code -d name=value}. Flags hold {@code 1} or {@code 0}.
 *
 * @param name  the INI name, e.g. {@code memory_limit}
 * @param value the value as PHP reads it
 * @param admin whether it came from a {@code php_admin_*} directive (FPM locks those against {@code ini_set()};
 *              php-cgi's {@code -d} cannot)
 */
public record PhpIniSetting(String name, String value, boolean admin) {

    /**
     * Checks both parts: php-cgi parses its {@code -d} options as INI text, so a line break would smuggle in another
     * directive.
     *
     * @throws IllegalArgumentException for an empty name, a name with {@code =}, or a CR, LF or NUL in either part
     */
    public PhpIniSetting {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(value, "value");
        if (name.isBlank() || name.indexOf('=') >= 0 || hasBreak(name)) {
            throw new IllegalArgumentException("invalid PHP INI name '" + printable(name) + "'");
        }
        if (hasBreak(value)) {
            throw new IllegalArgumentException("invalid value for the PHP INI setting '" + name
                    + "': a line break or NUL");
        }
    }

    private static boolean hasBreak(String s) {
        return s.indexOf('\r') >= 0 || s.indexOf('\n') >= 0 || s.indexOf('\0') >= 0;
    }

    private static String printable(String s) {
        return s.replace("\r", "\\r").replace("\n", "\\n").replace("\0", "\\0");
    }

    /** The command-line form, {@code name=value}. */
    public String asDefine() {
        return name + "=" + value;
    }
}
