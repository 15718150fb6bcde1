package dev.fcgi.pool.config;

import dev.fcgi.pool.FcgiPoolManager;
import dev.fcgi.pool.PoolDefinition;
import dev.fcgi.pool.process.ChildProcessWorkers;
import dev.fcgi.protocol.testing.ExternalTools;
import dev.fcgi.protocol.testing.FreePorts;
import dev.fcgi.protocol.testing.RawFcgiConnection;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * From a configuration to running pools: {@link FpmConfig#definitions(ClassLoader)} for handler and command pools,
 * its errors, and {@link FpmConfig#test} ({@code php-fpm -t}).
 */
class FpmDefinitionsTest {

    private static final boolean ROOT = "root".equals(System.getProperty("user.name"));

    @TempDir
    Path dir;

    private final ClassLoader loader = getClass().getClassLoader();

    private Path write(String text) {
        return ConfFiles.write(dir, "php-fpm.conf", text);
    }

    private String handlerError(String handler) throws Exception {
        FpmConfig conf = FpmConfig.load(write(ConfFiles.BASE.replace("dev.fcgi.pool.config.HelloHandler", handler)));
        return assertThrows(FpmConfigException.class, () -> conf.definitions(loader)).getMessage();
    }

    @Test
    @DisplayName("a handler pool runs: a new handler instance per worker, on the Unix socket its relative listen names")
    void handlerPoolServes() throws Exception {
        FpmConfig conf = FpmConfig.load(write("""
                [global]
                process.max = 8
                emergency_restart_threshold = 10
                emergency_restart_interval = 1m
                [www]
                listen = $pool.sock
                pm = static
                pm.max_children = 2
                handler = dev.fcgi.pool.config.HelloHandler
                """));
        int before = HelloHandler.INSTANCES.get();
        List<PoolDefinition> definitions = conf.definitions(loader);
        assertEquals(before, HelloHandler.INSTANCES.get(), "definitions() creates no handler");
        assertEquals(dir.resolve("www.sock").toString(), definitions.get(0).config().listen());
        FpmGlobalConfig global = conf.global();
        try (FcgiPoolManager manager = FcgiPoolManager.builder().processMax(global.processMax())
                .emergencyRestart(global.emergencyRestartThreshold(), global.emergencyRestartInterval()).build()
                .start(definitions);
             RawFcgiConnection conn = RawFcgiConnection.connect(UnixDomainSocketAddress.of(dir.resolve("www.sock")))
                     .timeout(Duration.ofSeconds(30))) {
            conn.request(1, true, Map.of("REQUEST_METHOD", "GET", "SCRIPT_NAME", "/"), new byte[0]);
            RawFcgiConnection.Response response = conn.readResponse(1);
            assertTrue(response.body().startsWith("hello from handler "), response.body());
            assertEquals(2, manager.pool("www").status().totalProcesses());
            assertEquals(8, manager.processBudget().max());
        }
        assertTrue(HelloHandler.INSTANCES.get() >= before + 2, "one instance per worker");
    }

    @Test
    @DisplayName("handler classes that cannot be used: FPM-style [pool www] errors")
    void handlerErrors() throws Exception {
        String bad = "dev.fcgi.pool.config.BadHandlers$";
        assertEquals("[pool www] handler class 'com.example.Missing' not found", handlerError("com.example.Missing"));
        assertEquals("[pool www] handler class '" + bad + "NotAHandler' does not implement"
                + " dev.fcgi.protocol.server.FcgiHandler", handlerError(bad + "NotAHandler"));
        assertEquals("[pool www] handler class '" + bad + "NeedsArgument' has no public no-argument constructor",
                handlerError(bad + "NeedsArgument"));
        assertEquals("[pool www] handler class '" + bad + "Abstract' is abstract or an interface: it cannot be"
                + " instantiated", handlerError(bad + "Abstract"));
        assertEquals("[pool www] handler class '" + bad + "Hidden' is not public", handlerError(bad + "Hidden"));
        assertEquals("[pool www] handler class 'dev.fcgi.protocol.server.FcgiHandler' is abstract or an interface:"
                + " it cannot be instantiated", handlerError("dev.fcgi.protocol.server.FcgiHandler"));
    }

    @Test
    @DisplayName("a handler whose constructor throws passes -t (nothing is instantiated) and fails each worker start")
    void handlerConstructorFails() throws Exception {
        Path file = write(ConfFiles.BASE.replace("dev.fcgi.pool.config.HelloHandler",
                "dev.fcgi.pool.config.BadHandlers$FailsToStart"));
        assertTrue(FpmConfig.test(file, null, loader).successful());
        PoolDefinition definition = FpmConfig.load(file).definitions(loader).get(0);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> definition.workers().start(null));
        assertEquals("[pool www] handler dev.fcgi.pool.config.BadHandlers$FailsToStart: its constructor failed:"
                + " java.lang.IllegalStateException: no database", e.getMessage());
    }

    @Test
    @DisplayName("a command pool gets ChildProcessWorkers for its command and settings")
    void commandPool() throws Exception {
        String phpCgi = ExternalTools.require("php-cgi8.2", "php-cgi");
        FpmConfig conf = FpmConfig.load(write(ConfFiles.BASE.replace(
                "handler = dev.fcgi.pool.config.HelloHandler", "command = " + phpCgi + " -n")
                + (ROOT ? "user = nobody\n" : "")));
        ChildProcessWorkers workers = assertInstanceOf(ChildProcessWorkers.class,
                conf.definitions(loader).get(0).workers());
        assertEquals(List.of(phpCgi, "-n"), workers.command());
        assertTrue(workers.runsPhp());
    }

    @Test
    @DisplayName("a php-cgi pool from a configuration answers, with its php_value and env[] applied")
    void commandPoolServes() throws Exception {
        String phpCgi = ExternalTools.require("php-cgi8.2", "php-cgi");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path script = Files.writeString(dir.resolve("conf.php"),
                "<?php echo ini_get('memory_limit'), ' ', getenv('FROM_CONF');\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rw-r--r--"));
        int port = FreePorts.find();
        FpmConfig conf = FpmConfig.load(write("""
                [global]
                [www]
                listen = 127.0.0.1:%d
                pm = static
                pm.max_children = 1
                command = %s
                php_value[memory_limit] = 77M
                env[FROM_CONF] = pool $pool
                %s
                """.formatted(port, phpCgi, ROOT ? "user = nobody" : "")));
        assertEquals(List.of(), conf.notices());
        try (FcgiPoolManager manager = FcgiPoolManager.builder().build().start(conf.definitions(loader));
             RawFcgiConnection conn = RawFcgiConnection.connect(new InetSocketAddress("127.0.0.1", port))
                     .timeout(Duration.ofSeconds(60))) {
            Map<String, String> params = new LinkedHashMap<>();
            params.put("REQUEST_METHOD", "GET");
            params.put("SCRIPT_FILENAME", script.toString());
            params.put("SCRIPT_NAME", "/conf.php");
            params.put("REQUEST_URI", "/conf.php");
            params.put("QUERY_STRING", "");
            params.put("REDIRECT_STATUS", "200");
            params.put("GATEWAY_INTERFACE", "CGI/1.1");
            params.put("SERVER_PROTOCOL", "HTTP/1.1");
            conn.request(1, true, params, new byte[0]);
            String body = conn.readResponse(1).body();
            assertTrue(body.endsWith("77M pool www"), body);
            assertEquals(1, manager.pool("www").status().totalProcesses());
        }
    }

    @Test
    @DisplayName("command errors: a program that is not there, a non-PHP program without {socket}, an unknown user")
    void commandErrors() throws Exception {
        String command = ConfFiles.BASE.replace("handler = dev.fcgi.pool.config.HelloHandler\n", "command = ");
        FpmConfig missing = FpmConfig.load(write(command + "/nonexistent/php-cgi\n"));
        assertEquals("[pool www] the command '/nonexistent/php-cgi' is not an executable file",
                assertThrows(FpmConfigException.class, () -> missing.definitions(loader)).getMessage());
        FpmConfig notOnPath = FpmConfig.load(write(command + "php-cgi-that-is-not-there\n"));
        assertEquals("[pool www] the command 'php-cgi-that-is-not-there' is not an executable file on the PATH",
                assertThrows(FpmConfigException.class, () -> notOnPath.definitions(loader)).getMessage());
        FpmConfig noSocket = FpmConfig.load(write(command + "/bin/cat\n"));
        assertEquals("[pool www] command: the command [/bin/cat] must say where the program takes its listen"
                + " address, with {socket} (e.g. spawn-fcgi -n -s {socket} -- /path/to/app); only php-cgi gets -b"
                + " {socket} by itself",
                assertThrows(FpmConfigException.class, () -> noSocket.definitions(loader)).getMessage());
        if (ROOT) {
            FpmConfig noUser = FpmConfig.load(write(command + "/bin/cat {socket}\nuser = no-such-user-here\n"));
            assertEquals("[pool www] cannot get uid for user 'no-such-user-here'",
                    assertThrows(FpmConfigException.class, () -> noUser.definitions(loader)).getMessage());
        }
    }

    @Test
    @DisplayName("-t: success with FPM's line and the notices; an error in FPM's words, with the notices before it")
    void test() throws Exception {
        Path good = write(ConfFiles.BASE + "php_value[memory_limit] = 1G\n");
        FpmTestResult ok = FpmConfig.test(good, null, loader);
        assertTrue(ok.successful());
        assertNull(ok.error());
        assertEquals("configuration file " + good + " test is successful", ok.message());
        assertEquals(List.of("[pool www] php_value[memory_limit] does not apply to a Java handler pool; ignored"),
                ok.notices());

        Path parseError = write("[global]\n# old comment\n[www]\npm.foo = 1\n");
        FpmTestResult bad = FpmConfig.test(parseError, null, loader);
        assertFalse(bad.successful());
        assertEquals("[" + parseError + ":4] unknown entry 'pm.foo'", bad.message());
        assertEquals(List.of("[" + parseError + ":2] a line starting with '#' is read as a comment, but php-fpm"
                + " (PHP 7.0 and later) refuses it: use ';'"), bad.notices());

        Path noWorkers = write(ConfFiles.BASE.replace("handler = dev.fcgi.pool.config.HelloHandler\n", ""));
        assertEquals("[pool www] no 'handler' or 'command': set handler = <class implementing"
                + " dev.fcgi.protocol.server.FcgiHandler> for a pool of Java workers, or command = /usr/bin/php-cgi"
                + " for a pool of PHP child processes", FpmConfig.test(noWorkers, null, loader).error());

        Path badClass = write(ConfFiles.BASE.replace("HelloHandler", "Nope") + "php_flag[x] = on\n");
        FpmTestResult classError = FpmConfig.test(badClass, null, loader);
        assertEquals("[pool www] handler class 'dev.fcgi.pool.config.Nope' not found", classError.error());
        assertEquals(List.of("[pool www] php_flag[x] does not apply to a Java handler pool; ignored"),
                classError.notices(), "the configuration's notices, though its handler is missing");

        assertEquals("failed to open configuration file '" + dir.resolve("none.conf")
                        + "': No such file or directory",
                FpmConfig.test(dir.resolve("none.conf"), null, loader).error());
    }
}
