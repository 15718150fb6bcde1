package dev.fcgi.pool.config;

import dev.fcgi.pool.PoolConfig;
import dev.fcgi.pool.PoolConfigException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Reads a php-fpm.conf and the files it includes as php-fpm does ({@code fpm_conf_load_ini_file} and its
 * callbacks): statements in file order, {@code include} read where it stands, the current section carried into and
 * out of included files, {@code [global]} or a pool section (opened again by name in any case), then every pool
 * checked. One reader reads one configuration.
 */
final class FpmConfigReader {

    /** php-fpm reads at most 5 files inside one another (the main file and 4 levels of includes). */
    static final int MAX_INCLUDE_DEPTH = 5;
    private static final Set<String> RAW_KEYS = Set.of(PoolDirectives.COMMAND);
    private static final Set<String> EXPRESSION_ARRAYS = Set.of("php_value", "php_admin_value");

    private final Path prefix;
    private final Function<String, String> environment;
    private final List<String> notices = new ArrayList<>();
    private final GlobalSection global = new GlobalSection(notices);
    private final Map<String, PoolSection> pools = new LinkedHashMap<>();
    private final Deque<Location> includes = new ArrayDeque<>();
    private final IniReader ini;
    private PoolSection current;                      // null: [global]

    /**
     * @param prefix      the absolute directory relative paths and includes are resolved against
     * @param environment {@code ${VAR}} lookups
     */
    FpmConfigReader(Path prefix, Function<String, String> environment) {
        this.prefix = prefix;
        this.environment = environment;
        this.ini = new IniReader(environment, RAW_KEYS, notices::add);
    }

    /** The notices so far: the files' and [global]'s, then each pool section's. */
    List<String> notices() {
        List<String> all = new ArrayList<>(notices);
        pools.values().forEach(p -> all.addAll(p.notices));
        return all;
    }

    /**
     * Reads {@code file} (absolute) and everything it includes, and checks every pool.
     *
     * @throws FpmConfigException for the first error, in FPM's words
     */
    FpmConfig read(Path file) throws FpmConfigException {
        readFile(file, null);
        FpmGlobalConfig globalConfig = global.build(prefix);
        if (pools.isEmpty()) {
            throw new FpmConfigException(
                    "No pool defined. at least one pool section must be specified in config file");
        }
        List<FpmPool> built = new ArrayList<>();
        for (PoolSection section : pools.values()) {
            built.add(pool(section, section.build(prefix)));
        }
        for (int i = 0; i < built.size(); i++) {
            for (int j = i + 1; j < built.size(); j++) {
                if (built.get(i).config().listen().equals(built.get(j).config().listen())) {
                    throw new FpmConfigException("[pool " + built.get(j).name() + "] unable to set listen address"
                            + " as it's already used in another pool '" + built.get(i).name() + "'");
                }
            }
        }
        return new FpmConfig(file, prefix, globalConfig, built, notices);
    }

    private void readFile(Path file, Location from) throws FpmConfigException {
        if (from != null && includes.size() + 2 > MAX_INCLUDE_DEPTH) {    // this file would be the 6th open
            String chain = Stream.concat(includes.stream(), Stream.of(from)).map(l -> l.file() + ":" + l.line())
                    .collect(Collectors.joining(" > "));
            throw new FpmConfigException(from, "failed to include more than " + MAX_INCLUDE_DEPTH
                    + " files recursively (" + chain + " > " + file + ")");
        }
        String text;
        try {
            text = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
        } catch (IOException e) {
            String detail = "failed to open configuration file '" + file + "': " + reason(e);
            throw from == null ? new FpmConfigException(detail, e)
                    : new FpmConfigException(from, "Unable to include " + file + ": " + detail);
        }
        if (from != null) {
            includes.addLast(from);
        }
        try {
            ini.read(file, text, statement -> {
                if (statement instanceof IniStatement.Section s) {
                    section(s);
                } else {
                    entry((IniStatement.Entry) statement);
                }
            });
        } finally {
            if (from != null) {
                includes.removeLast();
            }
        }
    }

    private static String reason(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "No such file or directory";
        }
        if (e instanceof AccessDeniedException) {
            return "Permission denied";
        }
        return e.toString();
    }

    private void section(IniStatement.Section s) throws FpmConfigException {
        String name = s.name();
        if (name.equalsIgnoreCase("global")) {
            current = null;
            return;
        }
        if (name.isEmpty()) {
            throw new FpmConfigException(s.where(), "a pool section needs a name: []");
        }
        current = pools.computeIfAbsent(name.toLowerCase(Locale.ROOT),
                k -> new PoolSection(name, environment));
    }

    private void entry(IniStatement.Entry e) throws FpmConfigException {
        if (e.offset() == null && e.key().equals("include")) {
            include(e);
            return;
        }
        if (e.offset() != null) {
            array(e);
            return;
        }
        if (current == null) {
            if (!GlobalSection.TABLE.has(e.key()) && PoolDirectives.TABLE.has(e.key())) {
                throw new FpmConfigException(e.where(), "unknown entry '" + e.key() + "': a pool directive in the"
                        + " global section (the lines before the first [pool] section belong to [global])");
            }
            if (GlobalSection.TABLE.has(e.key())) {
                refuseExpression(e);
            }
            GlobalSection.TABLE.apply(global, e.key(), e.value(), e.where());
        } else {
            if (PoolDirectives.TABLE.has(e.key())) {
                refuseExpression(e);
            }
            PoolDirectives.TABLE.apply(current, e.key(), e.value(), e.where());
        }
    }

    private static void refuseExpression(IniStatement.Entry e) throws FpmConfigException {
        if (e.expression()) {
            throw new FpmConfigException(e.where(), "unable to parse value for entry '"
                    + e.key().toLowerCase(Locale.ROOT) + "': " + expression(e));
        }
    }

    private static String expression(IniStatement.Entry e) {
        return "'" + e.value() + "' is a PHP expression (| & ^ ~ ! ( )), which only php_value and php_admin_value"
                + " take: quote the value";
    }

    /** {@code include = pattern}: relative to the prefix; every match read here, in order. */
    private void include(IniStatement.Entry e) throws FpmConfigException {
        Path pattern = prefix.resolve(e.value());
        List<Path> files;
        try {
            files = IncludeGlob.expand(pattern);
        } catch (IncludeGlob.GlobException failed) {
            throw new FpmConfigException(e.where(), "Unable to globalize '" + pattern + "': " + failed.getMessage());
        }
        if (files.isEmpty()) {
            notices.add("Nothing matches the include pattern '" + pattern + "' from " + e.where().file()
                    + " at line " + e.where().line() + ".");
        }
        for (Path file : files) {
            readFile(file, e.where());
        }
    }

    /** {@code name[key] = value}: FPM's {@code fpm_conf_ini_parser_array}, its checks in its order. */
    private void array(IniStatement.Entry e) throws FpmConfigException {
        String name = e.key();
        String key = e.offset();
        String value = e.value();
        Location where = e.where();
        if (name.equals("access.suppress_path")) {
            if (!key.isEmpty()) {
                throw new FpmConfigException(where, "Keys provided to field 'access.suppress_path' are ignored");
            }
            if (!value.startsWith("/")) {
                throw new FpmConfigException(where,
                        "Values provided to field 'access.suppress_path' must begin with '/'");
            }
        } else if (key.isEmpty()) {
            throw new FpmConfigException(where, "You must provide a key for field '" + name + "'");
        }
        if (current == null) {
            throw new FpmConfigException(where, "Array are not allowed in the global section");
        }
        String field = "'" + name + "[" + key + "]'";
        if (e.expression() && !EXPRESSION_ARRAYS.contains(name)) {
            throw new FpmConfigException(where, "error while parsing " + field + " : " + expression(e));
        }
        try {
            switch (name) {
                case "env" -> {
                    if (value.isEmpty()) {
                        throw new FpmConfigException(where, "empty value");
                    }
                    current.builder.env(key, current.string(value));
                    current.childOnly("env[" + key + "]");
                }
                case "php_value" -> current.php(name, key, current.string(value), false, where);
                case "php_admin_value" -> current.php(name, key, current.string(value), true, where);
                case "php_flag" -> current.php(name, key, FpmValues.bool(value) ? "1" : "0", false, where);
                case "php_admin_flag" -> current.php(name, key, FpmValues.bool(value) ? "1" : "0", true, where);
                case "access.suppress_path" -> current.builder.accessSuppressPath(current.string(value));
                default -> throw new FpmConfigException(where, "unknown directive '" + name + "'");
            }
        } catch (FpmValues.BadValue bad) {
            throw new FpmConfigException(where, "error while parsing " + field + " : " + bad.getMessage());
        } catch (PoolConfigException bad) {
            throw DirectiveTable.located(where, bad);
        }
    }

    /** A checked section as an {@link FpmPool}: its workers, and the notices of what does not apply to them. */
    private FpmPool pool(PoolSection section, PoolConfig config) throws FpmConfigException {
        String handler = section.handlerClass();
        List<String> command = section.command();
        String name = section.name;
        if (handler != null && !command.isEmpty()) {
            throw new FpmConfigException("[pool " + name + "] both 'handler' (" + section.handlerAt() + ") and"
                    + " 'command' (" + section.commandAt() + ") are set: a pool runs either a Java handler or"
                    + " child processes");
        }
        if (handler == null && command.isEmpty()) {
            throw new FpmConfigException("[pool " + name + "] no 'handler' or 'command': set handler = <class"
                    + " implementing dev.fcgi.protocol.server.FcgiHandler> for a pool of Java workers, or command ="
                    + " /usr/bin/php-cgi for a pool of PHP child processes");
        }
        List<String> poolNotices = new ArrayList<>(section.notices);
        poolNotices.addAll(config.notices());
        if (handler != null) {
            section.childDirectives.forEach(d -> poolNotices.add("[pool " + name + "] " + d
                    + " does not apply to a Java handler pool; ignored"));
        }
        return new FpmPool(config, handler, command, poolNotices);
    }
}
