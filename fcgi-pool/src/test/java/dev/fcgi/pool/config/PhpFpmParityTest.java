package dev.fcgi.pool.config;

import dev.fcgi.pool.PhpIniSetting;
import dev.fcgi.pool.PoolConfig;
import dev.fcgi.protocol.testing.ExternalTools;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The same pool section with tricky values (quotes, joined parts, escapes, ${VAR}, $pool, comments, boolean words,
 * offsets with blanks) read by php-fpm ({@code php-fpm -tt}, which prints every directive) and by us: every value
 * must be the same. Skipped (or failed on CI) without php-fpm.
 */
class PhpFpmParityTest {

    private static final Pattern DUMP = Pattern.compile("NOTICE: \t(.+?) = (.*)$");

    @TempDir
    Path dir;

    @Test
    @DisplayName("php-fpm -tt and FpmConfig read every value of a tricky pool section the same")
    void sameValues() throws Exception {
        String fpm = ExternalTools.require("php-fpm8.2", "php-fpm");
        ConfFiles.write(dir, "pool.conf", """
                [www]
                user = nobody
                listen = %s/$pool.sock
                listen.owner = "www-data"
                listen.group = 'www-data'
                listen.mode = 0660
                listen.allowed_clients = 127.0.0.1, ::1
                pm = DYNAMIC
                pm.max_children = "10"
                pm.start_servers = 3 ; comment
                pm.min_spare_servers = 2
                pm.max_spare_servers = 4
                pm.max_requests =
                pm.status_path = /status-$pool
                ping.path = /ping
                ping.response = "pong; ok"
                access.format = "%%R - %%u %%t \\"%%m %%r%%Q%%q\\" %%s %%f %%{mili}d %%{kilo}M %%C%%%%"
                slowlog = /tmp/$pool.slow
                request_slowlog_timeout = 2m
                request_terminate_timeout = 1h
                catch_workers_output = On
                decorate_workers_output = "no"
                clear_env = 0
                security.limit_extensions = .php .php7
                env[A] = "x y" z
                env[B] = ${PARITY_VAR}/b
                env[C] = "q\\"uo\\$te\\n"
                env[D] = 'raw ${PARITY_VAR} \\n'
                env[E] = $pool-x
                env[F] = a;b
                env[G] = "a;b"
                env[H] = 1.5
                env[I] = -3
                env[K] = "multi word" 'raw' "x"
                env[L] = a 'b c' d
                env[M] = "\\\\back\\slash"
                env[ Sp ] = y
                env["q"] = z
                env[N] = yes
                env[O] = "C:\\dir\\"
                env[P] = a$b
                env[Q] = [::1]:9000
                php_value[x] = Off
                php_value[y] = "a"   b   c  ; comment
                php_flag[display_errors] = on
                php_admin_flag[log_errors] = "no"
                php_admin_value[memory_limit] = 128M
                """.formatted(dir));
        String global = "[global]\nerror_log = " + dir.resolve("fpm.log") + "\ninclude = " + dir.resolve("pool.conf")
                + "\n";
        Path fpmConf = ConfFiles.write(dir, "fpm.conf", global);
        Path ourConf = ConfFiles.write(dir, "ours.conf", global + "command = /usr/bin/php-cgi\n");

        ProcessBuilder builder = new ProcessBuilder(fpm, "-tt", "-y", fpmConf.toString()).redirectErrorStream(true);
        builder.environment().put("PARITY_VAR", "/srv/parity");
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, process.exitValue(), output);
        Map<String, String> theirs = new TreeMap<>();
        boolean inPool = false;
        for (String line : output.split("\n")) {
            inPool |= line.endsWith("NOTICE: [www]");
            Matcher m = DUMP.matcher(line);
            if (inPool && m.find()) {
                theirs.put(m.group(1), m.group(2));
            }
        }

        FpmConfig conf = FpmConfig.loader().environment(Map.of("PARITY_VAR", "/srv/parity")).load(ourConf);
        PoolConfig c = conf.pool("www").orElseThrow().config();
        Map<String, String> ours = new TreeMap<>();
        ours.put("listen", c.listen());
        ours.put("user", c.user());
        ours.put("listen.owner", c.listenOwner());
        ours.put("listen.group", c.listenGroup());
        ours.put("listen.mode", String.format("%04o", c.listenMode()));
        ours.put("listen.allowed_clients", String.join(", ", c.listenAllowedClients()));
        ours.put("pm", c.pm().fpmName());
        ours.put("pm.max_children", Integer.toString(c.maxChildren()));
        ours.put("pm.start_servers", Integer.toString(c.startServers()));
        ours.put("pm.min_spare_servers", Integer.toString(c.minSpareServers()));
        ours.put("pm.max_spare_servers", Integer.toString(c.maxSpareServers()));
        ours.put("pm.max_requests", Integer.toString(c.maxRequests()));
        ours.put("pm.status_path", c.statusPath());
        ours.put("ping.path", c.pingPath());
        ours.put("ping.response", c.pingResponse());
        ours.put("access.format", c.accessFormat());
        ours.put("slowlog", c.slowlog().toString());
        ours.put("request_slowlog_timeout", c.requestSlowlogTimeout().toSeconds() + "s");
        ours.put("request_terminate_timeout", c.requestTerminateTimeout().toSeconds() + "s");
        ours.put("catch_workers_output", c.catchWorkersOutput() ? "yes" : "no");
        ours.put("decorate_workers_output", c.decorateWorkersOutput() ? "yes" : "no");
        ours.put("clear_env", c.clearEnv() ? "yes" : "no");
        ours.put("security.limit_extensions", String.join(" ", c.securityLimitExtensions()));
        c.env().forEach((k, v) -> ours.put("env[" + k + "]", v));
        for (PhpIniSetting s : c.phpSettings()) {
            ours.put((s.admin() ? "php_admin_value[" : "php_value[") + s.name() + "]", s.value());
        }
        Map<String, String> theirsForOurKeys = new TreeMap<>();
        ours.keySet().forEach(k -> theirsForOurKeys.put(k, theirs.get(k)));
        assertEquals(theirsForOurKeys, ours, "php-fpm said:\n" + output);
        assertEquals(theirs.keySet().stream().filter(k -> k.startsWith("env[") || k.startsWith("php_")).count(),
                ours.keySet().stream().filter(k -> k.startsWith("env[") || k.startsWith("php_")).count(),
                "the same env[] and php_*[] entries");
    }
}
