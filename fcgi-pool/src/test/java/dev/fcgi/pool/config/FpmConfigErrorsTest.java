package dev.fcgi.pool.config;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Every kind of configuration error, with its exact message: FPM's words, and the file and line where the error is.
 * The messages FPM also has were checked against {@code php-fpm8.2 -t}.
 */
class FpmConfigErrorsTest {

    @TempDir
    Path dir;

    private FpmConfigException error(String text) {
        Path file = ConfFiles.write(dir, "php-fpm.conf", text);
        return assertThrows(FpmConfigException.class, () -> FpmConfig.load(file));
    }

    /** The error of {@link ConfFiles#BASE} with {@code line} as line 8. */
    private String errorAtLine8(String line) {
        return error(ConfFiles.BASE + line + "\n").getMessage();
    }

    @Test
    @DisplayName("a pool directive's errors: [file:line] and FPM's text")
    void poolDirectiveErrors() {
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("pm.foo = 1", "unknown entry 'pm.foo'");
        cases.put("pm.max_requests = 1x",
                "unable to parse value for entry 'pm.max_requests': is not a valid number (greater or equal than zero)");
        cases.put("PM.Max_Requests = -1",
                "unable to parse value for entry 'pm.max_requests': is not a valid number (greater or equal than zero)");
        cases.put("pm = sometimes",
                "unable to parse value for entry 'pm': invalid process manager (static, dynamic or ondemand)");
        cases.put("request_terminate_timeout = 10x",
                "unable to parse value for entry 'request_terminate_timeout': unknown suffix used in time value");
        cases.put("request_terminate_timeout =",
                "unable to parse value for entry 'request_terminate_timeout': invalid time value");
        cases.put("catch_workers_output = maybe",
                "unable to parse value for entry 'catch_workers_output': invalid boolean value");
        cases.put("rlimit_core = -5", "unable to parse value for entry 'rlimit_core': must be greater than zero or"
                + " 'unlimited'");
        cases.put("ping.response = (pong)", "unable to parse value for entry 'ping.response': '(pong)' is a PHP"
                + " expression (| & ^ ~ ! ( )), which only php_value and php_admin_value take: quote the value");
        cases.put("env[X] = a=b", "syntax error, unexpected '='");
        cases.put("env[X] =", "empty value");
        cases.put("env[] = x", "You must provide a key for field 'env'");
        cases.put("foo[x] = y", "unknown directive 'foo'");
        cases.put("ENV[x] = y", "unknown directive 'ENV'");
        cases.put("access.suppress_path[x] = /a", "Keys provided to field 'access.suppress_path' are ignored");
        cases.put("access.suppress_path[] = a", "Values provided to field 'access.suppress_path' must begin with '/'");
        cases.put("php_admin_flag[log_errors] = maybe",
                "error while parsing 'php_admin_flag[log_errors]' : invalid boolean value");
        cases.put("php_value[a=b] = 1", "error while parsing 'php_value[a=b]' : invalid PHP INI name 'a=b'");
        cases.put("env[X] = a | b", "error while parsing 'env[X]' : 'a | b' is a PHP expression (| & ^ ~ ! ( )),"
                + " which only php_value and php_admin_value take: quote the value");
        cases.put("key", "syntax error: 'key' has no '= value' (php-fpm: value is NULL for a ZEND_INI_PARSER_ENTRY)");
        cases.put("listen.mode = \"0660", "syntax error, unexpected end of line, expecting '\"'");
        cases.put("[broken", "syntax error, unexpected end of line, expecting ']'");
        cases.put("[]", "a pool section needs a name: []");
        cases.put("command = php-cgi 'x", "syntax error, unexpected end of line, expecting \"'\"");
        cases.put("command = php-cgi ${X", "unable to parse value for entry 'command': unclosed ${ in the command");
        cases.put("Include = x.conf", "unknown entry 'Include'");
        // a setter's own check keeps FPM's pool prefix after the location
        cases.put("pm.max_children = 0", "[pool www] pm.max_children must be a positive value");
        cases.put("listen = 127.0.0.1:99999", "[pool www] invalid port value '99999'");
        cases.put("pm.status_path = status", "[pool www] the status path 'status' must start with a '/'");
        cases.put("process.priority = 30", "[pool www] process.priority must be included into [-19,20]");
        cases.put("access.format = \"%R %Z\"", "[pool www] wrong format for access.format '%R %Z': Invalid token in"
                + " the access.format (%Z)");
        cases.put("request_slowlog_trace_depth = -1",
                "[pool www] 'request_slowlog_trace_depth' (-1) must be a positive value");
        String at = "[" + dir.resolve("php-fpm.conf") + ":8] ";
        assertAll(cases.entrySet().stream().map(c -> () -> assertEquals(at + c.getValue(),
                errorAtLine8(c.getKey()), c.getKey())));
    }

    @Test
    @DisplayName("the error carries its file and line")
    void fileAndLine() {
        FpmConfigException e = error(ConfFiles.BASE + "pm.foo = 1\n");
        assertEquals(dir.resolve("php-fpm.conf"), e.file());
        assertEquals(8, e.line());
        FpmConfigException whole = error("[global]\n");
        assertNull(whole.file());
        assertEquals(0, whole.line());
    }

    @Test
    @DisplayName("[global] errors, $pool there, arrays there, and a pool directive outside a pool section")
    void globalErrors() {
        String at = "[" + dir.resolve("php-fpm.conf") + ":2] ";
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("pid = /run/$pool.pid",
                "unable to parse value for entry 'pid': Can't use '$pool' when the pool is not defined");
        cases.put("log_level = loud", "unable to parse value for entry 'log_level': invalid value for 'log_level'");
        cases.put("syslog.facility = nope", "unable to parse value for entry 'syslog.facility': invalid value");
        cases.put("log_limit = 100", "log_limit must be greater than 512");
        cases.put("process.max = -1", "process_max can't be negative");
        cases.put("process.priority = -20", "process.priority must be included into [-19,20]");
        cases.put("emergency_restart_interval = 1w",
                "unable to parse value for entry 'emergency_restart_interval': unknown suffix used in time value");
        cases.put("env[a] = b", "Array are not allowed in the global section");
        cases.put("user = www-data", "unknown entry 'user': a pool directive in the global section (the lines"
                + " before the first [pool] section belong to [global])");
        cases.put("handler = x.Y", "unknown entry 'handler': a pool directive in the global section (the lines"
                + " before the first [pool] section belong to [global])");
        cases.put("nonsense = 1", "unknown entry 'nonsense'");
        assertAll(cases.entrySet().stream().map(c -> () -> assertEquals(at + c.getValue(),
                error("[global]\n" + c.getKey() + "\n" + ConfFiles.BASE.substring("[global]\n".length()))
                        .getMessage(), c.getKey())));
        assertEquals("[" + dir.resolve("php-fpm.conf") + ":1] unknown entry 'pm': a pool directive in the global"
                + " section (the lines before the first [pool] section belong to [global])",
                error("pm = static\n").getMessage(), "before any section is [global], as in php-fpm");
    }

    @Test
    @DisplayName("errors of a whole pool: PoolConfig.build()'s [pool www] message, and our handler/command rule")
    void poolErrors() {
        String pool = """
                [global]
                [www]
                listen = 127.0.0.1:9000
                """;
        String handler = "handler = dev.fcgi.pool.config.HelloHandler\n";
        assertEquals("[pool www] the process manager is missing (static, dynamic or ondemand)",
                error(pool + handler).getMessage());
        assertEquals("[pool www] pm.max_spare_servers(1) must not be less than pm.min_spare_servers(2)",
                error(pool + handler + "pm = dynamic\npm.max_children = 5\npm.min_spare_servers = 2\n"
                        + "pm.max_spare_servers = 1\n").getMessage());
        assertEquals("[pool www] no listen address have been defined!",
                error("[www]\npm = static\npm.max_children = 1\n" + handler).getMessage());
        assertEquals("[pool www] no 'handler' or 'command': set handler = <class implementing"
                + " dev.fcgi.protocol.server.FcgiHandler> for a pool of Java workers, or command = /usr/bin/php-cgi"
                + " for a pool of PHP child processes",
                error(pool + "pm = static\npm.max_children = 1\n").getMessage());
        assertEquals("[pool www] both 'handler' ([" + dir.resolve("php-fpm.conf") + ":6]) and 'command' (["
                + dir.resolve("php-fpm.conf") + ":7]) are set: a pool runs either a Java handler or child processes",
                error(pool + "pm = static\npm.max_children = 1\n" + handler + "command = /usr/bin/php-cgi\n")
                        .getMessage());
        assertEquals("[pool www] the prefix '/nonexistent/app' does not exist or is not a directory",
                error(ConfFiles.BASE + "prefix = /nonexistent/app\n").getMessage());
    }

    @Test
    @DisplayName("errors of the whole configuration: no pool, a listen address twice, a missing file or prefix")
    void configurationErrors() {
        assertEquals("No pool defined. at least one pool section must be specified in config file",
                error("[global]\npid = /run/fpm.pid\n").getMessage());
        assertEquals("[pool two] unable to set listen address as it's already used in another pool 'www'",
                error(ConfFiles.BASE + "[two]\nlisten = 127.0.0.1:9000\npm = static\npm.max_children = 1\n"
                        + "handler = dev.fcgi.pool.config.HelloHandler\n").getMessage());
        Path missing = dir.resolve("none.conf");
        assertEquals("failed to open configuration file '" + missing + "': No such file or directory",
                assertThrows(FpmConfigException.class, () -> FpmConfig.load(missing)).getMessage());
        Path file = ConfFiles.write(dir, "php-fpm.conf", ConfFiles.BASE);
        assertEquals("the global prefix '/nonexistent' does not exist or is not a directory",
                assertThrows(FpmConfigException.class, () -> FpmConfig.load(file, Path.of("/nonexistent")))
                        .getMessage());
    }

    @Test
    @DisplayName("include errors: a directory that does not exist, recursion past 5 files")
    void includeErrors() {
        Path main = dir.resolve("php-fpm.conf");
        assertEquals("[" + main + ":8] Unable to globalize '" + dir.resolve("nothere/*.conf") + "': cannot read the"
                + " directory " + dir.resolve("nothere") + ": No such file or directory",
                errorAtLine8("include = nothere/*.conf"));
        ConfFiles.write(dir, "loop.conf", "include = loop.conf\n");
        Path loop = dir.resolve("loop.conf");
        String chain = main + ":8 > " + loop + ":1 > " + loop + ":1 > " + loop + ":1 > " + loop + ":1";
        assertEquals("[" + loop + ":1] failed to include more than 5 files recursively (" + chain + " > " + loop
                + ")", errorAtLine8("include = loop.conf"));
    }

    @Test
    @DisplayName("after an include, lines are the including file's own (php-fpm counts on from the included file)")
    void lineAfterInclude() {
        ConfFiles.write(dir, "long.conf", "[www]\n\n\n\n\n\n\n\n\n");
        assertEquals("[" + dir.resolve("php-fpm.conf") + ":3] unknown entry 'pm.foo'",
                error("[global]\ninclude = long.conf\npm.foo = 1\n").getMessage(), "php-fpm 8.2 says line 11");
    }

    @Test
    @DisplayName("the first error in file order wins, a syntax error further down included")
    void firstErrorWins() {
        assertEquals("[" + dir.resolve("php-fpm.conf") + ":8] unknown entry 'pm.foo'",
                error(ConfFiles.BASE + "pm.foo = 1\nenv[X] = a=b\n").getMessage());
    }
}
