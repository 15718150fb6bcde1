package dev.fcgi.pool.config;

import dev.fcgi.pool.PhpIniSetting;
import dev.fcgi.pool.PoolConfig;
import dev.fcgi.pool.ProcessManager;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Configurations that load: what each directive and syntax gives, the includes, prefixes and notices. */
class FpmConfigTest {

    @TempDir
    Path dir;

    private FpmConfig load(String text) throws FpmConfigException {
        return FpmConfig.load(ConfFiles.write(dir, "php-fpm.conf", text));
    }

    private PoolConfig www(String extra) throws FpmConfigException {
        return load(ConfFiles.BASE + extra).pool("www").orElseThrow().config();
    }

    @Test
    @DisplayName("a handler pool: its directives, FPM's defaults, no notices")
    void handlerPool() throws Exception {
        FpmConfig conf = load(ConfFiles.BASE);
        assertEquals(1, conf.pools().size());
        FpmPool pool = conf.pools().get(0);
        assertEquals("www", pool.name());
        assertEquals("dev.fcgi.pool.config.HelloHandler", pool.handlerClass());
        assertTrue(pool.isHandlerPool());
        assertEquals(List.of(), pool.command());
        PoolConfig c = pool.config();
        assertEquals("127.0.0.1:9000", c.listen());
        assertEquals(ProcessManager.STATIC, c.pm());
        assertEquals(2, c.maxChildren());
        assertEquals(PoolConfig.DEFAULT_LISTEN_BACKLOG, c.listenBacklog());
        assertEquals(List.of(), conf.notices());
        assertEquals(dir.resolve("php-fpm.conf"), conf.file());
        assertEquals(dir, conf.prefix());
        assertEquals(dir.resolve("fpm.log").toString(), conf.global().errorLog(), "relative to the prefix");
        assertTrue(conf.toString().contains("\thandler = dev.fcgi.pool.config.HelloHandler\n"), conf.toString());
    }

    @Test
    @DisplayName("every pool directive reaches PoolConfig")
    void everyDirective() throws Exception {
        Path chdir = Files.createDirectories(dir.resolve("srv"));
        PoolConfig c = www("""
                user = nobody
                group = nogroup
                listen.backlog = 1024
                listen.owner = www-data
                listen.group = www-data
                listen.mode = 0600
                listen.allowed_clients = 127.0.0.1, 10.0.0.0/8
                process.priority = -5
                pm = dynamic
                pm.max_children = 10
                pm.start_servers = 3
                pm.min_spare_servers = 2
                pm.max_spare_servers = 4
                pm.max_spawn_rate = 8
                pm.process_idle_timeout = 20s
                pm.max_requests = 500
                pm.status_path = /status
                pm.status_listen = 127.0.0.1:9001
                ping.path = /ping
                ping.response = alive
                access.log = log/$pool.access.log
                access.format = "%R - %u %t \\"%m %r%Q%q\\" %s %f %{mili}d %{kilo}M %C%%"
                access.suppress_path[] = /ping
                access.suppress_path[] = /status
                slowlog = /var/log/$pool.slow
                request_slowlog_timeout = 5s
                request_slowlog_trace_depth = 30
                request_terminate_timeout = 1m
                request_terminate_timeout_track_finished = yes
                rlimit_files = 4096
                rlimit_core = unlimited
                chdir = srv
                catch_workers_output = yes
                decorate_workers_output = no
                clear_env = no
                security.limit_extensions = .php .php7
                """);
        assertEquals("nobody", c.user());
        assertEquals("nogroup", c.group());
        assertEquals(1024, c.listenBacklog());
        assertEquals("www-data", c.listenOwner());
        assertEquals("www-data", c.listenGroup());
        assertEquals(0600, c.listenMode());
        assertEquals(List.of("127.0.0.1", "10.0.0.0/8"), c.listenAllowedClients());
        assertEquals(-5, c.processPriority());
        assertEquals(ProcessManager.DYNAMIC, c.pm());
        assertEquals(10, c.maxChildren());
        assertEquals(3, c.startServers());
        assertEquals(2, c.minSpareServers());
        assertEquals(4, c.maxSpareServers());
        assertEquals(8, c.maxSpawnRate());
        assertEquals(Duration.ofSeconds(20), c.processIdleTimeout());
        assertEquals(500, c.maxRequests());
        assertEquals("/status", c.statusPath());
        assertEquals("127.0.0.1:9001", c.statusListen());
        assertEquals("/ping", c.pingPath());
        assertEquals("alive", c.pingResponse());
        assertEquals(dir.resolve("log/www.access.log"), c.accessLog());
        assertEquals("%R - %u %t \"%m %r%Q%q\" %s %f %{mili}d %{kilo}M %C%%", c.accessFormat());
        assertEquals(List.of("/ping", "/status"), c.accessSuppressPaths());
        assertEquals(Path.of("/var/log/www.slow"), c.slowlog());
        assertEquals(Duration.ofSeconds(5), c.requestSlowlogTimeout());
        assertEquals(30, c.requestSlowlogTraceDepth());
        assertEquals(Duration.ofMinutes(1), c.requestTerminateTimeout());
        assertTrue(c.requestTerminateTimeoutTrackFinished());
        assertEquals(4096L, c.rlimitFiles());
        assertEquals(-1L, c.rlimitCore());
        assertEquals(chdir, c.chdir(), "relative to the prefix");
        assertTrue(c.catchWorkersOutput());
        assertFalse(c.decorateWorkersOutput());
        assertFalse(c.clearEnv());
        assertEquals(List.of(".php", ".php7"), c.securityLimitExtensions());
    }

    @Test
    @DisplayName("$pool in every string value, array values and the command")
    void poolName() throws Exception {
        FpmConfig conf = load("""
                [global]
                [shop]
                listen = /run/fpm/$pool.sock
                pm = ondemand
                pm.max_children = 4
                access.log = /var/log/fpm/$pool-access.log
                env[POOL] = $pool
                php_admin_value[session.save_path] = /var/lib/php/sessions/$pool
                command = /usr/bin/php-cgi -d error_log=/var/log/php/$pool.log
                [blog]
                listen = /run/fpm/$pool.sock
                pm = ondemand
                pm.max_children = 2
                command = /usr/bin/php-cgi
                """);
        PoolConfig shop = conf.pool("shop").orElseThrow().config();
        assertEquals("/run/fpm/shop.sock", shop.listen());
        assertEquals(Path.of("/var/log/fpm/shop-access.log"), shop.accessLog());
        assertEquals(Map.of("POOL", "shop"), shop.env());
        assertEquals(List.of(new PhpIniSetting("session.save_path", "/var/lib/php/sessions/shop", true)),
                shop.phpSettings());
        assertEquals(List.of("/usr/bin/php-cgi", "-d", "error_log=/var/log/php/shop.log"),
                conf.pool("shop").orElseThrow().command());
        assertEquals("/run/fpm/blog.sock", conf.pool("blog").orElseThrow().config().listen());
        assertEquals(List.of("shop", "blog"), conf.pools().stream().map(FpmPool::name).toList());
    }

    @Test
    @DisplayName("quotes and comments: INI quoting, joined parts, ';' in quotes, ${VAR}, a '#' line with a notice")
    void quotesAndComments() throws Exception {
        FpmConfig conf = FpmConfig.loader().environment(Map.of("APP_ROOT", "/srv/app"))
                .load(ConfFiles.write(dir, "php-fpm.conf", """
                        ; php-fpm.conf
                        [global]   ; comment after a section
                        [www] ; the pool
                        listen = "127.0.0.1:9000"   ; a comment after a quoted value
                        # php-fpm would refuse this line
                        pm = 'static'
                        pm.max_children = "3"
                        handler = dev.fcgi.pool.config.HelloHandler
                        ping.path = /ping
                        ping.response = "pong; really"
                        access.format = '%R %m "%r" %s'
                        env[ROOT] = ${APP_ROOT}/public
                        env[QUOTED] = "${APP_ROOT}" 'and ${APP_ROOT}'
                        env[UNSET] = "x${NOT_SET_ANYWHERE}y"
                        php_value[error_reporting] = E_ALL & ~E_DEPRECATED ; PHP evaluates it
                        php_value[include_path] = ".:/usr/share/php"
                        php_flag[display_errors] = off
                        """));
        PoolConfig c = conf.pool("www").orElseThrow().config();
        assertEquals("127.0.0.1:9000", c.listen());
        assertEquals(ProcessManager.STATIC, c.pm());
        assertEquals(3, c.maxChildren());
        assertEquals("pong; really", c.pingResponse());
        assertEquals("%R %m \"%r\" %s", c.accessFormat());
        Map<String, String> env = new LinkedHashMap<>();
        env.put("ROOT", "/srv/app/public");
        env.put("QUOTED", "/srv/appand ${APP_ROOT}");
        env.put("UNSET", "xy");
        assertEquals(env, c.env());
        assertEquals(List.of(new PhpIniSetting("error_reporting", "E_ALL & ~E_DEPRECATED", false),
                new PhpIniSetting("include_path", ".:/usr/share/php", false),
                new PhpIniSetting("display_errors", "0", false)), c.phpSettings());
        assertEquals("[" + dir.resolve("php-fpm.conf") + ":5] a line starting with '#' is read as a comment, but"
                + " php-fpm (PHP 7.0 and later) refuses it: use ';'", conf.notices().get(0));
    }

    @Test
    @DisplayName("time values: seconds, s, m, h, d, and a fraction")
    void times() throws Exception {
        assertEquals(Duration.ofSeconds(45), www("request_terminate_timeout = 45").requestTerminateTimeout());
        assertEquals(Duration.ofSeconds(30), www("request_terminate_timeout = 30s").requestTerminateTimeout());
        assertEquals(Duration.ofMinutes(2), www("request_terminate_timeout = 2m").requestTerminateTimeout());
        assertEquals(Duration.ofHours(1), www("request_terminate_timeout = 1h").requestTerminateTimeout());
        assertEquals(Duration.ofDays(1), www("request_terminate_timeout = 1d").requestTerminateTimeout());
        assertEquals(Duration.ofMillis(2500), www("request_terminate_timeout = 2.5s").requestTerminateTimeout());
        assertEquals(Duration.ofSeconds(10), www("pm = ondemand\npm.process_idle_timeout = 10s")
                .processIdleTimeout());
    }

    @Test
    @DisplayName("booleans: yes/no, on/off, true/false, 1/0, empty, quoted words, any case")
    void booleans() throws Exception {
        for (String yes : List.of("yes", "on", "true", "1", "YES", "On", "\"yes\"", "\"1\"")) {
            assertTrue(www("catch_workers_output = " + yes).catchWorkersOutput(), yes);
        }
        for (String no : List.of("no", "off", "false", "0", "", "none", "Off", "\"no\"", "''")) {
            assertFalse(www("clear_env = " + no).clearEnv(), no);
        }
    }

    @Test
    @DisplayName("env[]: in order; a $VAR value is kept for the child's start; the same name twice: the last wins")
    void env() throws Exception {
        PoolConfig c = www("""
                env[HOSTNAME] = $HOSTNAME
                env[PATH] = /usr/local/bin:/usr/bin:/bin
                env[TMP] = /tmp
                env[TMP] = /var/tmp
                """);
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("HOSTNAME", "$HOSTNAME");
        expected.put("PATH", "/usr/local/bin:/usr/bin:/bin");
        expected.put("TMP", "/var/tmp");
        assertEquals(expected, c.env());
    }

    @Test
    @DisplayName("a handler pool keeps php_value & co. and the child directives, and says they do not apply")
    void handlerPoolNotices() throws Exception {
        FpmConfig conf = load(ConfFiles.BASE + """
                user = www-data
                env[APP_ENV] = prod
                php_value[memory_limit] = 256M
                php_admin_flag[log_errors] = on
                catch_workers_output = yes
                """);
        FpmPool pool = conf.pool("www").orElseThrow();
        List<String> expected = List.of(
                "[pool www] user does not apply to a Java handler pool; ignored",
                "[pool www] env[APP_ENV] does not apply to a Java handler pool; ignored",
                "[pool www] php_value[memory_limit] does not apply to a Java handler pool; ignored",
                "[pool www] php_admin_flag[log_errors] does not apply to a Java handler pool; ignored",
                "[pool www] catch_workers_output does not apply to a Java handler pool; ignored");
        assertEquals(expected, pool.notices());
        assertEquals(expected, conf.notices());
        assertEquals(List.of(new PhpIniSetting("memory_limit", "256M", false),
                new PhpIniSetting("log_errors", "1", true)), pool.config().phpSettings(), "kept, not dropped");
        FpmConfig children = load(ConfFiles.BASE.replace("handler = dev.fcgi.pool.config.HelloHandler",
                "command = /usr/bin/php-cgi") + "php_value[memory_limit] = 256M\nuser = www-data\n");
        assertEquals(List.of(), children.notices(), "they apply to child processes");
    }

    @Test
    @DisplayName("FPM directives we do not support are parsed, kept out, and reported")
    void unsupportedDirectives() throws Exception {
        FpmConfig conf = load(ConfFiles.BASE + """
                chroot = /srv/jail
                process.dumpable = yes
                apparmor_hat = php
                listen.acl_users = www-data
                listen.acl_groups = www-data
                listen.setfib = 1
                """);
        String at = "[" + dir.resolve("php-fpm.conf") + ":";
        assertEquals(List.of(
                at + "8] [pool www] 'chroot' is not supported: the pool's socket and php-cgi would have to be inside"
                        + " the jail; ignored",
                at + "9] [pool www] 'process.dumpable' is not supported: PR_SET_DUMPABLE has no command-line tool;"
                        + " ignored",
                at + "10] [pool www] 'apparmor_hat' is not supported: AppArmor's change_hat needs libapparmor;"
                        + " ignored",
                at + "11] [pool www] 'listen.acl_users' is not supported: POSIX ACLs on the socket file; use"
                        + " listen.group with listen.mode = 0660; ignored",
                at + "12] [pool www] 'listen.acl_groups' is not supported: POSIX ACLs on the socket file; use"
                        + " listen.group with listen.mode = 0660; ignored",
                at + "13] [pool www] 'listen.setfib' is not supported: a FreeBSD routing table; ignored"),
                conf.notices());
    }

    @Test
    @DisplayName("[global]: every directive typed, relative paths resolved, notices for what the JVM cannot apply")
    void global() throws Exception {
        FpmConfig conf = load("""
                [global]
                pid = run/php-fpm.pid
                error_log = syslog
                syslog.ident = fpm-jvm
                syslog.facility = LOCAL1
                log_level = warn
                log_limit = 4096
                log_buffering = no
                emergency_restart_threshold = 10
                emergency_restart_interval = 1m
                process_control_timeout = 10s
                process.max = 128
                process.priority = -10
                daemonize = no
                rlimit_files = 65536
                rlimit_core = unlimited
                events.mechanism = epoll
                systemd_interval = 0
                """ + ConfFiles.BASE.substring("[global]\nerror_log = fpm.log\n".length()));
        FpmGlobalConfig g = conf.global();
        assertEquals(dir.resolve("run/php-fpm.pid"), g.pid());
        assertEquals("syslog", g.errorLog());
        assertTrue(g.errorLogToSyslog());
        assertEquals("fpm-jvm", g.syslogIdent());
        assertEquals("local1", g.syslogFacility());
        assertEquals(FpmGlobalConfig.LogLevel.WARNING, g.logLevel());
        assertEquals(4096, g.logLimit());
        assertFalse(g.logBuffering());
        assertEquals(10, g.emergencyRestartThreshold());
        assertEquals(Duration.ofMinutes(1), g.emergencyRestartInterval());
        assertEquals(Duration.ofSeconds(10), g.processControlTimeout());
        assertEquals(128, g.processMax());
        assertEquals(-10, g.processPriority());
        assertFalse(g.daemonize());
        assertEquals(65536L, g.rlimitFiles());
        assertEquals(-1L, g.rlimitCore());
        assertEquals("epoll", g.eventsMechanism());
        assertEquals(Duration.ZERO, g.systemdInterval());
        String at = "[" + dir.resolve("php-fpm.conf") + ":";
        assertEquals(List.of(
                at + "13] process.priority is kept but not applied: the JVM cannot renice itself: start it with"
                        + " nice, or systemd's Nice=",
                at + "15] rlimit_files is kept but not applied: the JVM cannot raise its own limits: use ulimit -n,"
                        + " or systemd's LimitNOFILE= (a pool's rlimit_files applies to its child processes)",
                at + "16] rlimit_core is kept but not applied: the JVM cannot raise its own limits: use ulimit -c,"
                        + " or systemd's LimitCORE= (a pool's rlimit_core applies to its child processes)",
                at + "17] events.mechanism is kept but not applied: Netty chooses its transport (epoll on Linux)"),
                conf.notices());
        assertEquals(FpmGlobalConfig.defaults(), load(ConfFiles.BASE.replace("error_log = fpm.log\n", ""))
                .global(), "an empty [global] is FPM's defaults");
    }

    @Test
    @DisplayName("include: a sorted glob relative to the prefix, the current section carried in and out, as php-fpm")
    void include() throws Exception {
        ConfFiles.write(dir, "pool.d/b.conf", """
                [b]
                listen = 127.0.0.1:9002
                pm = static
                pm.max_children = 1
                handler = dev.fcgi.pool.config.HelloHandler
                """);
        ConfFiles.write(dir, "pool.d/a.conf", """
                [a]
                listen = 127.0.0.1:9001
                pm = static
                include = extra/a-*.conf
                handler = dev.fcgi.pool.config.HelloHandler
                """);
        ConfFiles.write(dir, "extra/a-size.conf", "pm.max_children = 7\n");
        ConfFiles.write(dir, "pool.d/c.conf.disabled", "[c]\n");
        ConfFiles.write(dir, "pool.d/.hidden.conf", "[hidden]\n");
        FpmConfig conf = load("""
                [global]
                include = pool.d/*.conf
                pm.max_requests = 9
                include = pool.d/missing-*.conf
                """);
        assertEquals(List.of("a", "b"), conf.pools().stream().map(FpmPool::name).toList());
        assertEquals(7, conf.pool("a").orElseThrow().config().maxChildren(), "an included file continues [a]");
        assertEquals(9, conf.pool("b").orElseThrow().config().maxRequests(),
                "after an include, the last pool it opened is still the current section (php-fpm does the same)");
        assertEquals(List.of("Nothing matches the include pattern '" + dir.resolve("pool.d/missing-*.conf")
                + "' from " + dir.resolve("php-fpm.conf") + " at line 4."), conf.notices());
    }

    @Test
    @DisplayName("include: 5 files inside one another load; the errors say in which file and line")
    void includeDepthAndLines() throws Exception {
        ConfFiles.write(dir, "1.conf", "include = 2.conf\n");
        ConfFiles.write(dir, "2.conf", "include = 3.conf\n");
        ConfFiles.write(dir, "3.conf", "\n\ninclude = 4.conf\n");
        ConfFiles.write(dir, "4.conf", ConfFiles.BASE.substring("[global]\nerror_log = fpm.log\n".length()));
        FpmConfig conf = load("[global]\ninclude = 1.conf\n");
        assertEquals(2, conf.pool("www").orElseThrow().config().maxChildren());
        ConfFiles.write(dir, "4.conf", "[www]\npm.foo = 1\n");
        FpmConfigException e = org.junit.jupiter.api.Assertions.assertThrows(FpmConfigException.class,
                () -> load("[global]\ninclude = 1.conf\n"));
        assertEquals("[" + dir.resolve("4.conf") + ":2] unknown entry 'pm.foo'", e.getMessage());
    }

    @Test
    @DisplayName("-p prefix: includes and relative paths resolve against it; a pool's prefix against that")
    void prefix() throws Exception {
        Path prefix = Files.createDirectories(dir.resolve("opt/fpm"));
        Files.createDirectories(prefix.resolve("apps/shop"));
        ConfFiles.write(prefix, "etc/pool.d/shop.conf", """
                [shop]
                prefix = apps/$pool
                listen = var/$pool.sock
                slowlog = log/slow.log
                access.log = /var/log/shop.log
                pm = static
                pm.max_children = 1
                php_admin_value[error_log] = log/php-errors.log
                php_admin_value[sendmail_path] = /usr/sbin/sendmail -t -i
                php_value[upload_max_filesize] = 8M
                command = /usr/bin/php-cgi
                """);
        Path file = ConfFiles.write(dir, "etc/php-fpm.conf", """
                [global]
                pid = run/php-fpm.pid
                include = etc/pool.d/*.conf
                """);
        FpmConfig conf = FpmConfig.load(file, prefix);
        assertEquals(prefix, conf.prefix());
        assertEquals(prefix.resolve("run/php-fpm.pid"), conf.global().pid());
        PoolConfig shop = conf.pool("shop").orElseThrow().config();
        Path app = prefix.resolve("apps/shop");
        assertEquals(app.resolve("var/shop.sock").toString(), shop.listen());
        assertEquals(app.resolve("log/slow.log"), shop.slowlog());
        assertEquals(Path.of("/var/log/shop.log"), shop.accessLog());
        assertEquals(List.of(new PhpIniSetting("error_log", app.resolve("log/php-errors.log").toString(), true),
                new PhpIniSetting("sendmail_path", "/usr/sbin/sendmail -t -i", true),
                new PhpIniSetting("upload_max_filesize", "8M", false)), shop.phpSettings(),
                "FPM's path-valued PHP settings only");
    }

    @Test
    @DisplayName("a section opened again, in another case, is the same pool; [GLOBAL] is [global]")
    void reopenedSection() throws Exception {
        FpmConfig conf = load(ConfFiles.BASE + """
                [GLOBAL]
                process.max = 3
                [WWW]
                pm.max_children = 9
                """);
        assertEquals(1, conf.pools().size());
        assertEquals("www", conf.pools().get(0).name());
        assertEquals(9, conf.pools().get(0).config().maxChildren());
        assertEquals(3, conf.global().processMax());
    }

    @Test
    @DisplayName("command: split like a command line, quotes kept from the INI layer")
    void command() throws Exception {
        FpmPool pool = load(ConfFiles.BASE.replace("handler = dev.fcgi.pool.config.HelloHandler",
                "command = /usr/bin/php-cgi -c '/etc/php/my php.ini' -d memory_limit=256M ; comment")).pools().get(0);
        assertEquals(List.of("/usr/bin/php-cgi", "-c", "/etc/php/my php.ini", "-d", "memory_limit=256M"),
                pool.command());
        assertNull(pool.handlerClass());
        assertFalse(pool.isHandlerPool());
        assertTrue(pool.toString().endsWith("\tcommand = /usr/bin/php-cgi -c '/etc/php/my php.ini' -d"
                + " memory_limit=256M\n"), pool.toString());
    }

    @Test
    @DisplayName("FPM's notices from PoolConfig.build() reach the pool's notices")
    void buildNotices() throws Exception {
        FpmConfig conf = load(ConfFiles.BASE.replace("pm = static", "pm = dynamic")
                + "pm.min_spare_servers = 1\npm.max_spare_servers = 2\n");
        assertEquals(List.of("[pool www] pm.start_servers is not set. It's been set to 1."), conf.notices());
    }
}
