package dev.fcgi.pool.config;

import dev.fcgi.pool.PoolConfigException;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The directives of one kind of section: each FPM name (matched in any case, as php-fpm's {@code strcasecmp}) with
 * the setter that parses and applies its value. Errors come out in FPM's words, with the file and line.
 *
 * @param <S> the section being filled
 */
final class DirectiveTable<S> {

    /** Parses a value with FPM's parser for the directive and applies it to the section. */
    @FunctionalInterface
    interface Setter<S> {
        void set(S section, String value, Location where) throws FpmValues.BadValue, FpmConfigException;
    }

    private final Map<String, Setter<S>> setters = new LinkedHashMap<>();

    /** Adds directive {@code name} (lower case, as FPM writes it). */
    DirectiveTable<S> add(String name, Setter<S> setter) {
        setters.put(name, setter);
        return this;
    }

    /** Whether {@code key} is a directive of this table, in any case. */
    boolean has(String key) {
        return setters.containsKey(key.toLowerCase(Locale.ROOT));
    }

    /**
     * Applies {@code key = value}.
     *
     * @throws FpmConfigException {@code [file:line] unknown entry '%s'}, {@code [file:line] unable to parse value for
     *                            entry '%s': %s}, or a pool setter's own check with the file and line put before it
     */
    void apply(S section, String key, String value, Location where) throws FpmConfigException {
        String name = key.toLowerCase(Locale.ROOT);
        Setter<S> setter = setters.get(name);
        if (setter == null) {
            throw new FpmConfigException(where, "unknown entry '" + key + "'");
        }
        try {
            setter.set(section, value, where);
        } catch (FpmValues.BadValue e) {
            throw new FpmConfigException(where, "unable to parse value for entry '" + name + "': " + e.getMessage());
        } catch (PoolConfigException e) {
            throw located(where, e);
        }
    }

    /**
     * A pool setter's error at a line: FPM's parse errors ({@code unable to parse value ...}) lose the pool prefix,
     * as php-fpm reports them; other checks keep it: {@code [www.conf:9] [pool www] pm.max_children must be a
     * positive value}.
     */
    static FpmConfigException located(Location where, PoolConfigException e) {
        String prefix = "[pool " + e.poolName() + "] ";
        String message = e.getMessage();
        if (message.startsWith(prefix + "unable to parse value for entry")) {
            message = message.substring(prefix.length());
        }
        FpmConfigException located = new FpmConfigException(where, message);
        located.initCause(e);
        return located;
    }
}
