package dev.fcgi.pool.config;

/** One statement of a php-fpm.conf line, as {@link IniReader} scanned it. */
sealed interface IniStatement {

    /** Where the statement is. */
    Location where();

    /** {@code [name]}: the name as written, quotes removed and {@code ${VAR}} expanded. */
    record Section(Location where, String name) implements IniStatement {
    }

    /**
     * {@code key = value} or {@code key[offset] = value}.
     *
     * @param key        the key, trimmed
     * @param offset     the text between the brackets of {@code key[offset]}, or {@code null} for a plain key
     * @param value      the value as PHP's INI scanner gives it: quotes removed, escapes and {@code ${VAR}} applied,
     *                   a bare {@code yes/on/true} as {@code "1"} and {@code no/off/false/none/null} as {@code ""};
     *                   for a raw key the text after {@code =} up to a comment, trimmed
     * @param expression whether the value is a PHP INI expression (operators {@code | & ^ ~ ! ( )}), kept as written
     *                   for PHP to evaluate
     */
    record Entry(Location where, String key, String offset, String value, boolean expression)
            implements IniStatement {
    }
}
