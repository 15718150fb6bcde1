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

    /** Checks that both parts are present. */
    public PhpIniSetting {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(value, "value");
    }

    /** The command-line form, {@code name=value}. */
    public String asDefine() {
        return name + "=" + value;
    }
}
