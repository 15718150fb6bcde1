package dev.fcgi.pool.config;

import dev.fcgi.pool.PoolConfig;
import dev.fcgi.pool.ProcessManager;
import dev.fcgi.protocol.testing.ExternalTools;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Debian's own php-fpm.conf and pool.d/www.conf (package php8.2-fpm), copied with the include path, {@code listen}
 * and {@code user} changed and a {@code command} added, load with FPM's values. Skipped when the files are not
 * installed.
 */
class DebianConfigTest {

    private static final Path ETC = Path.of("/etc/php/8.2/fpm");

    @TempDir
    Path dir;
    private Path main;

    @BeforeEach
    void copy() throws Exception {
        Path conf = ETC.resolve("php-fpm.conf");
        Path www = ETC.resolve("pool.d/www.conf");
        if (!Files.isRegularFile(conf) || !Files.isRegularFile(www)) {
            String message = "SKIPPED: Debian's " + conf + " and " + www + " are not installed (apt-get install"
                    + " php8.2-fpm)";
            System.err.println(message);
            Assumptions.abort(message);
        }
        main = write("php-fpm.conf", conf, "include=/etc/php/8.2/fpm/pool.d/*.conf",
                "include=" + dir.resolve("pool.d") + "/*.conf");
        Files.createDirectories(dir.resolve("pool.d"));
        Path pool = write("pool.d/www.conf", www, "listen = /run/php/php8.2-fpm.sock",
                "listen = " + dir.resolve("php8.2-fpm.sock"));
        replace(pool, "\nuser = www-data\n", "\nuser = nobody\n");
        replace(pool, "\n[www]\n", "\n[www]\ncommand = /usr/bin/php-cgi\n");
    }

    private Path write(String name, Path original, String from, String to) throws Exception {
        Path copy = dir.resolve(name);
        Files.createDirectories(copy.getParent());
        Files.writeString(copy, Files.readString(original));
        replace(copy, from, to);
        return copy;
    }

    private static void replace(Path file, String from, String to) throws Exception {
        String text = Files.readString(file);
        assertTrue(text.contains(from), file + " no longer has: " + from.strip());
        Files.writeString(file, text.replace(from, to));
    }

    @Test
    @DisplayName("Debian's files load with FPM's values, and no notice")
    void load() throws Exception {
        FpmConfig conf = FpmConfig.load(main);
        FpmGlobalConfig g = conf.global();
        assertEquals(Path.of("/run/php/php8.2-fpm.pid"), g.pid());
        assertEquals("/var/log/php8.2-fpm.log", g.errorLog());
        assertEquals(FpmGlobalConfig.LogLevel.NOTICE, g.logLevel());
        assertEquals(Duration.ZERO, g.processControlTimeout());
        assertEquals(0, g.processMax());
        assertTrue(g.daemonize());

        assertEquals(List.of("www"), conf.pools().stream().map(FpmPool::name).toList());
        FpmPool www = conf.pools().get(0);
        assertEquals(List.of("/usr/bin/php-cgi"), www.command());
        assertNull(www.handlerClass());
        PoolConfig c = www.config();
        assertEquals("nobody", c.user());
        assertEquals("www-data", c.group());
        assertEquals(dir.resolve("php8.2-fpm.sock").toString(), c.listen());
        assertEquals("www-data", c.listenOwner());
        assertEquals("www-data", c.listenGroup());
        assertEquals(0660, c.listenMode());
        assertEquals(ProcessManager.DYNAMIC, c.pm());
        assertEquals(5, c.maxChildren());
        assertEquals(2, c.startServers());
        assertEquals(1, c.minSpareServers());
        assertEquals(3, c.maxSpareServers());
        assertEquals(0, c.maxRequests());
        assertEquals(List.of(), conf.notices());
    }

    @Test
    @DisplayName("-t is successful on them (php-cgi installed, children as nobody)")
    void test() throws Exception {
        if (ExternalTools.find("php-cgi").isEmpty()) {
            Assumptions.abort("SKIPPED: php-cgi is not installed");
        }
        FpmTestResult result = FpmConfig.test(main, null, getClass().getClassLoader());
        assertEquals("configuration file " + main + " test is successful", result.message());
    }

    @Test
    @DisplayName("as a handler pool, Debian's user and group are reported as not applying")
    void asHandlerPool() throws Exception {
        replace(dir.resolve("pool.d/www.conf"), "command = /usr/bin/php-cgi",
                "handler = dev.fcgi.pool.config.HelloHandler");
        assertEquals(List.of("[pool www] user does not apply to a Java handler pool; ignored",
                "[pool www] group does not apply to a Java handler pool; ignored"), FpmConfig.load(main).notices());
    }
}
