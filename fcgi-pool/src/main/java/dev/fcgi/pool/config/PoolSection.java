package dev.fcgi.pool.config;

import dev.fcgi.pool.AccessLogFormat;
import dev.fcgi.pool.PhpIniSetting;
import dev.fcgi.pool.PoolConfig;
import dev.fcgi.pool.PoolConfigException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;

/**
 * One pool section ({@code [www]}) while the files are read: the directives applied so far, and those php-fpm only
 * resolves once the whole configuration is read (paths, which depend on the pool's {@code prefix}, and the
 * {@code php_*} settings, some of which are paths). A section may be opened again later, in any case.
 */
final class PoolSection {

    /** php-fpm's FPM_PHP_INI_TO_EXPAND: the PHP settings whose relative paths are resolved against the prefix. */
    private static final Set<String> PHP_PATH_SETTINGS = Set.of("error_log", "extension_dir", "mime_magic.magicfile",
            "sendmail_path", "session.cookie_path", "session_pgsql.sem_file_name", "soap.wsdl_cache_dir",
            "uploadprogress.file.filename_template", "xdebug.output_dir", "xdebug.profiler_output_dir",
            "xdebug.trace_output_dir", "xmms.path", "axis2.client_home", "blenc.key_file", "coin_acceptor.device");

    /** A {@code php_value[]}-style setting, kept in order until the prefix is known. */
    private record PhpSetting(String directive, String name, String value, boolean admin, Location where) {
    }

    /** A value set at a line. */
    private record Written(String value, Location where) {
    }

    final String name;
    final PoolConfig.Builder builder;
    final List<String> notices = new ArrayList<>();
    /** The directives that only set up child processes, as written ({@code user}, {@code env[X]}...), in order. */
    final Set<String> childDirectives = new LinkedHashSet<>();
    private final Function<String, String> environment;
    private final List<PhpSetting> php = new ArrayList<>();
    private Written prefix;
    private Written listen;
    private Written statusListen;
    private Written accessLog;
    private Written slowlog;
    private Written chdir;
    private Written handler;
    private List<String> command = List.of();
    private Location commandAt;

    PoolSection(String name, Function<String, String> environment) {
        this.name = name;
        this.environment = environment;
        this.builder = PoolConfig.builder(name);
    }

    /** FPM's string directive: {@code $pool} expanded. */
    String string(String value) throws FpmValues.BadValue {
        return FpmValues.expandPool(value, name);
    }

    void prefix(String value, Location where) throws FpmValues.BadValue {
        prefix = new Written(string(value), where);
    }

    void listen(String value, Location where) throws FpmValues.BadValue {
        String address = string(value);
        builder.listen(address);                       // the port check, at this line
        listen = new Written(address, where);
    }

    void statusListen(String value, Location where) throws FpmValues.BadValue {
        String address = string(value);
        builder.statusListen(address);
        statusListen = new Written(address, where);
    }

    void accessLog(String value, Location where) throws FpmValues.BadValue {
        accessLog = new Written(string(value), where);
    }

    /** {@code access.format}, checked at its line as php-fpm checks it at start ({@code fpm_log_write}). */
    void accessFormat(String value, Location where) throws FpmValues.BadValue, FpmConfigException {
        String format = string(value);
        try {
            AccessLogFormat.parse(format);
        } catch (IllegalArgumentException e) {
            throw new FpmConfigException(where, "[pool " + name + "] wrong format for access.format '" + format
                    + "': " + e.getMessage());
        }
        builder.accessFormat(format);
    }

    void slowlog(String value, Location where) throws FpmValues.BadValue {
        slowlog = new Written(string(value), where);
    }

    void chdir(String value, Location where) throws FpmValues.BadValue {
        chdir = new Written(string(value), where);
        childOnly("chdir");
    }

    void handler(String value, Location where) throws FpmValues.BadValue {
        handler = new Written(string(value).strip(), where);
    }

    /** Our {@code command}: split like a command line ({@link CommandLine}). */
    void command(String value, Location where) throws FpmValues.BadValue {
        command = CommandLine.split(value, name, environment);
        commandAt = where;
    }

    /** Notes a directive that only child processes use, for the notices of a handler pool. */
    void childOnly(String directive) {
        childDirectives.add(directive);
    }

    /** A directive FPM has and this pool does not apply: kept out of the configuration, with a notice. */
    void unsupported(String directive, String why, Location where) {
        notices.add(where + " [pool " + name + "] '" + directive + "' is not supported: " + why + "; ignored");
    }

    /**
     * {@code php_value[name]} and the like; {@code value} is already "1"/"0" for a flag.
     *
     * @throws FpmValues.BadValue for a name or value php-cgi could not take as a {@code -d} option
     */
    void php(String directive, String key, String value, boolean admin, Location where) throws FpmValues.BadValue {
        try {
            new PhpIniSetting(key, value, admin);
        } catch (IllegalArgumentException e) {
            throw new FpmValues.BadValue(e.getMessage());
        }
        php.add(new PhpSetting(directive, key, value, admin, where));
        childOnly(directive + "[" + key + "]");
    }

    /**
     * Resolves the paths against the pool's prefix (or {@code base}, the global prefix), applies the deferred
     * settings and validates the pool with {@link PoolConfig.Builder#build()}.
     *
     * @throws FpmConfigException with FPM's messages ({@code [pool www] the prefix '%s' does not exist or is not a
     *                            directory}, and every check of {@code build()})
     */
    PoolConfig build(Path base) throws FpmConfigException {
        Path dir = poolPrefix(base);
        try {
            if (listen != null) {
                apply(listen, () -> builder.listen(socketPath(listen.value(), dir)));
            }
            if (statusListen != null) {
                apply(statusListen, () -> builder.statusListen(socketPath(statusListen.value(), dir)));
            }
            if (accessLog != null) {
                apply(accessLog, () -> builder.accessLog(path(accessLog.value(), dir)));
            }
            if (slowlog != null) {
                apply(slowlog, () -> builder.slowlog(path(slowlog.value(), dir)));
            }
            if (chdir != null) {
                Path resolved = path(chdir.value(), dir);
                apply(chdir, () -> builder.chdir(resolved == null ? null : resolved.toString()));
            }
            for (PhpSetting s : php) {
                String value = s.value();
                boolean isPath = PHP_PATH_SETTINGS.contains(s.name().toLowerCase(Locale.ROOT))
                        && !value.isEmpty() && !value.startsWith("/") && !value.equalsIgnoreCase("syslog");
                String resolved = isPath ? dir.resolve(value).toString() : value;
                apply(s.where(), () -> {
                    if (s.admin()) {
                        builder.phpAdminValue(s.name(), resolved);
                    } else {
                        builder.phpValue(s.name(), resolved);
                    }
                });
            }
            return builder.build();
        } catch (PoolConfigException e) {
            throw new FpmConfigException(e.getMessage(), e);
        }
    }

    /** The pool's {@code prefix} resolved against {@code base}, or {@code base} without one. */
    private Path poolPrefix(Path base) throws FpmConfigException {
        if (prefix == null || prefix.value().isEmpty()) {
            return base;
        }
        Path dir = base.resolve(prefix.value());
        if (!Files.isDirectory(dir)) {
            throw new FpmConfigException("[pool " + name + "] the prefix '" + dir
                    + "' does not exist or is not a directory");
        }
        return dir;
    }

    /** The {@code handler} class name, or {@code null}. */
    String handlerClass() {
        return handler == null || handler.value().isEmpty() ? null : handler.value();
    }

    /** Where {@code handler} was set, or {@code null}. */
    Location handlerAt() {
        return handler == null ? null : handler.where();
    }

    /** The {@code command} words, empty when unset. */
    List<String> command() {
        return command;
    }

    /** Where {@code command} was set, or {@code null}. */
    Location commandAt() {
        return commandAt;
    }

    private interface Step {
        void run();
    }

    private static void apply(Written set, Step step) throws FpmConfigException {
        apply(set.where(), step);
    }

    private static void apply(Location where, Step step) throws FpmConfigException {
        try {
            step.run();
        } catch (PoolConfigException e) {
            throw DirectiveTable.located(where, e);
        }
    }

    /** FPM: an address is a Unix socket unless it has a ':' or is all digits; a relative one is under the prefix. */
    private static String socketPath(String address, Path dir) {
        if (address == null || address.isEmpty() || address.startsWith("/") || address.indexOf(':') >= 0
                || address.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return address;
        }
        return dir.resolve(address).toString();
    }

    private static Path path(String value, Path dir) {
        if (value == null || value.isEmpty()) {
            return null;
        }
        return dir.resolve(value);
    }
}
