package dev.fcgi.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class PoolConfigTest {

    private static PoolConfig.Builder dynamic(int max, int minSpare, int maxSpare) {
        return PoolConfig.builder("www").listen("127.0.0.1:9000").pm(ProcessManager.DYNAMIC)
                .maxChildren(max).minSpareServers(minSpare).maxSpareServers(maxSpare);
    }

    private static PoolConfig.Builder ok() {
        return PoolConfig.builder("www").listen("127.0.0.1:9000").pm(ProcessManager.STATIC).maxChildren(5);
    }

    private static void fails(String message, Runnable r) {
        PoolConfigException e = assertThrows(PoolConfigException.class, r::run);
        assertEquals(message, e.getMessage());
        assertEquals("www", e.poolName());
    }

    @Test
    void defaultsAreFpms() {
        PoolConfig c = ok().build();
        assertEquals("www", c.name());
        assertEquals("127.0.0.1:9000", c.listen());
        assertEquals(511, c.listenBacklog());
        assertNull(c.listenOwner());
        assertNull(c.listenGroup());
        assertEquals(0660, c.listenMode());
        assertEquals(List.of(), c.listenAllowedClients());
        assertEquals(ProcessManager.STATIC, c.pm());
        assertEquals(5, c.maxChildren());
        assertEquals(0, c.startServers());
        assertEquals(0, c.minSpareServers());
        assertEquals(0, c.maxSpareServers());
        assertEquals(32, c.maxSpawnRate());
        assertEquals(Duration.ofSeconds(10), c.processIdleTimeout());
        assertEquals(0, c.maxRequests());
        assertNull(c.statusPath());
        assertNull(c.statusListen());
        assertNull(c.pingPath());
        assertNull(c.pingResponse());
        assertNull(c.accessLog());
        assertEquals("%R - %u %t \"%m %r\" %s", c.accessFormat());
        assertEquals(List.of(), c.accessSuppressPaths());
        assertNull(c.slowlog());
        assertEquals(Duration.ZERO, c.requestSlowlogTimeout());
        assertEquals(20, c.requestSlowlogTraceDepth());
        assertEquals(Duration.ZERO, c.requestTerminateTimeout());
        assertFalse(c.requestTerminateTimeoutTrackFinished());
        assertFalse(c.catchWorkersOutput());
        assertTrue(c.decorateWorkersOutput());
        assertTrue(c.clearEnv());
        assertEquals(List.of(".php", ".phar"), c.securityLimitExtensions());
        assertEquals(Map.of(), c.env());
        assertEquals(List.of(), c.notices());
    }

    @Test
    void settersAreKept() {
        PoolConfig c = ok().listenBacklog(1024).maxRequests(500).statusPath("/status").pingPath("/ping")
                .pingResponse("ok").accessLog(Path.of("access.log")).accessFormat("%R %s").accessSuppressPath("/ping")
                .slowlog(Path.of("slow.log")).requestSlowlogTimeout(Duration.ofSeconds(5)).requestSlowlogTraceDepth(7)
                .requestTerminateTimeout(Duration.ofSeconds(30)).requestTerminateTimeoutTrackFinished(true)
                .catchWorkersOutput(true).decorateWorkersOutput(false).clearEnv(false)
                .securityLimitExtensions(".php\t.php8  .html").env("PATH", "/usr/bin").env("HOST", "$HOSTNAME")
                .build();
        assertEquals(1024, c.listenBacklog());
        assertEquals(500, c.maxRequests());
        assertEquals("/status", c.statusPath());
        assertEquals("/ping", c.pingPath());
        assertEquals("ok", c.pingResponse());
        assertEquals(Path.of("access.log"), c.accessLog());
        assertEquals("%R %s", c.accessFormat());
        assertEquals(List.of("/ping"), c.accessSuppressPaths());
        assertEquals(Path.of("slow.log"), c.slowlog());
        assertEquals(Duration.ofSeconds(5), c.requestSlowlogTimeout());
        assertEquals(7, c.requestSlowlogTraceDepth());
        assertEquals(Duration.ofSeconds(30), c.requestTerminateTimeout());
        assertTrue(c.requestTerminateTimeoutTrackFinished());
        assertTrue(c.catchWorkersOutput());
        assertFalse(c.decorateWorkersOutput());
        assertFalse(c.clearEnv());
        assertEquals(List.of(".php", ".php8", ".html"), c.securityLimitExtensions());
        assertEquals(List.of("PATH", "HOST"), List.copyOf(c.env().keySet()));
        assertEquals("$HOSTNAME", c.env().get("HOST"));
        assertThrows(UnsupportedOperationException.class, () -> c.env().put("X", "y"));
        assertEquals(List.of(), ok().securityLimitExtensions("").build().securityLimitExtensions());
    }

    @Test
    void pingResponseDefaultsToPongOnlyWithAPingPath() {
        assertEquals("pong", ok().pingPath("/ping").build().pingResponse());
        assertNull(ok().pingResponse("ok").build().pingResponse());
    }

    @Test
    void startServersDefaultsBetweenTheSparesWithFpmsNotice() {
        PoolConfig c = dynamic(10, 2, 7).build();
        assertEquals(4, c.startServers());                           // 2 + (7 - 2) / 2
        assertEquals(2, c.minSpareServers());
        assertEquals(7, c.maxSpareServers());
        assertEquals(List.of("[pool www] pm.start_servers is not set. It's been set to 4."), c.notices());
        assertEquals(4, dynamic(10, 2, 7).startServers(0).build().startServers()); // <= 0 is unset, as in FPM
    }

    @Test
    void startServersSetIsKeptWithoutNotice() {
        PoolConfig c = dynamic(10, 2, 7).startServers(7).build();
        assertEquals(7, c.startServers());
        assertEquals(List.of(), c.notices());
    }

    @Test
    void ondemandForcesSparesAndStartToZero() {
        PoolConfig c = PoolConfig.builder("www").listen("/run/www.sock").pm("OnDemand").maxChildren(50)
                .startServers(5).minSpareServers(2).maxSpareServers(8).build();
        assertEquals(ProcessManager.ONDEMAND, c.pm());
        assertEquals(0, c.startServers());
        assertEquals(0, c.minSpareServers());
        assertEquals(0, c.maxSpareServers());
        assertEquals(List.of(), c.notices());
    }

    @Test
    void ondemandRaisesALowBacklogWithFpmsWarning() {
        PoolConfig c = PoolConfig.builder("www").listen("9000").pm(ProcessManager.ONDEMAND).maxChildren(5)
                .listenBacklog(128).build();
        assertEquals(511, c.listenBacklog());
        assertEquals(List.of("[pool www] listen.backlog(128) was too low for the ondemand process manager. "
                + "I updated it for you to 511."), c.notices());
        assertEquals(128, ok().listenBacklog(128).build().listenBacklog());
    }

    @Test
    void staticIgnoresSpareSettings() {
        PoolConfig c = ok().minSpareServers(0).maxSpareServers(-1).maxSpawnRate(0)
                .processIdleTimeout(Duration.ZERO).build();
        assertEquals(5, c.maxChildren());
    }

    @ParameterizedTest
    @ValueSource(strings = {"static", "STATIC", "Dynamic", "ondemand", "ONDEMAND"})
    void processManagerParsesAnyCase(String value) {
        assertEquals(value.toUpperCase(java.util.Locale.ROOT), ProcessManager.parse(value).name());
        assertEquals(value.toLowerCase(java.util.Locale.ROOT), ProcessManager.parse(value).fpmName());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "static ", "dyn", "on-demand", "none"})
    void processManagerRejectsOthersWithFpmsMessage(String value) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ProcessManager.parse(value));
        assertEquals("invalid process manager (static, dynamic or ondemand)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ProcessManager.parse(null));
        fails("[pool www] unable to parse value for entry 'pm': invalid process manager (static, dynamic or ondemand)",
                () -> PoolConfig.builder("www").pm(value));
    }

    static Stream<Arguments> buildErrors() {
        return Stream.of(
                Arguments.of("[pool www] no listen address have been defined!",
                        (Consumer<PoolConfig.Builder>) b -> b.listen("")),
                Arguments.of("[pool www] pm.min_spare_servers(0) must be a positive value",
                        (Consumer<PoolConfig.Builder>) b -> b.minSpareServers(0)),
                Arguments.of("[pool www] pm.max_spare_servers(-1) must be a positive value",
                        (Consumer<PoolConfig.Builder>) b -> b.maxSpareServers(-1)),
                Arguments.of("[pool www] pm.min_spare_servers(2) and pm.max_spare_servers(11) cannot be greater than "
                        + "pm.max_children(10)", (Consumer<PoolConfig.Builder>) b -> b.maxSpareServers(11)),
                Arguments.of("[pool www] pm.min_spare_servers(12) and pm.max_spare_servers(5) cannot be greater than "
                        + "pm.max_children(10)", (Consumer<PoolConfig.Builder>) b -> b.minSpareServers(12)),
                Arguments.of("[pool www] pm.max_spare_servers(5) must not be less than pm.min_spare_servers(6)",
                        (Consumer<PoolConfig.Builder>) b -> b.minSpareServers(6)),
                Arguments.of("[pool www] pm.start_servers(8) must not be less than pm.min_spare_servers(2) and not "
                        + "greater than pm.max_spare_servers(5)", (Consumer<PoolConfig.Builder>) b -> b.startServers(8)),
                Arguments.of("[pool www] pm.start_servers(1) must not be less than pm.min_spare_servers(2) and not "
                        + "greater than pm.max_spare_servers(5)", (Consumer<PoolConfig.Builder>) b -> b.startServers(1)),
                Arguments.of("[pool www] pm.max_spawn_rate must be a positive value",
                        (Consumer<PoolConfig.Builder>) b -> b.maxSpawnRate(0)),
                Arguments.of("[pool www] pm.process_idle_timeout(0s) must be greater than 0s",
                        (Consumer<PoolConfig.Builder>) b -> b.pm(ProcessManager.ONDEMAND)
                                .processIdleTimeout(Duration.ZERO)),
                Arguments.of("[pool www] pm.process_idle_timeout(-1.5s) must be greater than 0s",
                        (Consumer<PoolConfig.Builder>) b -> b.pm(ProcessManager.ONDEMAND)
                                .processIdleTimeout(Duration.ofMillis(-1500))),
                Arguments.of("[pool www] the status path '/' is not long enough",
                        (Consumer<PoolConfig.Builder>) b -> b.statusPath("/")),
                Arguments.of("[pool www] the ping response page '' is not long enough",
                        (Consumer<PoolConfig.Builder>) b -> b.pingPath("/ping").pingResponse("")),
                Arguments.of("[pool www] 'slowlog' must be specified for use with 'request_slowlog_timeout'",
                        (Consumer<PoolConfig.Builder>) b -> b.requestSlowlogTimeout(Duration.ofSeconds(5))),
                Arguments.of("[pool www] 'request_slowlog_timeout' (31) can't be greater than "
                        + "'request_terminate_timeout' (30)", (Consumer<PoolConfig.Builder>) b -> b
                        .slowlog(Path.of("slow.log")).requestSlowlogTimeout(Duration.ofSeconds(31))
                        .requestTerminateTimeout(Duration.ofSeconds(30))),
                Arguments.of("[pool www] 'slowlog' must be specified for use with 'request_slowlog_trace_depth'",
                        (Consumer<PoolConfig.Builder>) b -> b.requestSlowlogTraceDepth(20)));
    }

    @ParameterizedTest
    @MethodSource("buildErrors")
    void buildFailsWithFpmsMessage(String message, Consumer<PoolConfig.Builder> change) {
        PoolConfig.Builder b = dynamic(10, 2, 5);
        change.accept(b);
        fails(message, b::build);
    }

    @Test
    void processManagerIsMandatory() {
        fails("[pool www] the process manager is missing (static, dynamic or ondemand)",
                () -> PoolConfig.builder("www").listen("9000").maxChildren(5).build());
    }

    @Test
    void maxChildrenIsMandatory() {
        fails("[pool www] pm.max_children must be a positive value",
                () -> PoolConfig.builder("www").listen("9000").pm(ProcessManager.STATIC).build());
    }

    @Test
    void listenIsCheckedFirst() {
        fails("[pool www] no listen address have been defined!", () -> PoolConfig.builder("www").build());
    }

    @Test
    void errorsComeInFpmsOrder() {
        // start_servers is checked before max_spawn_rate, as in fpm_conf.c
        fails("[pool www] pm.start_servers(9) must not be less than pm.min_spare_servers(2) and not greater than "
                + "pm.max_spare_servers(5)", () -> dynamic(10, 2, 5).startServers(9).maxSpawnRate(0).build());
        // the slowlog requirement comes before the comparison with request_terminate_timeout
        fails("[pool www] 'slowlog' must be specified for use with 'request_slowlog_timeout'", () -> ok()
                .requestSlowlogTimeout(Duration.ofSeconds(9)).requestTerminateTimeout(Duration.ofSeconds(1)).build());
    }

    @Test
    void slowlogTimeoutMayEqualTerminateTimeoutOrGoWithoutIt() {
        ok().slowlog(Path.of("s.log")).requestSlowlogTimeout(Duration.ofSeconds(30))
                .requestTerminateTimeout(Duration.ofSeconds(30)).build();
        ok().slowlog(Path.of("s.log")).requestSlowlogTimeout(Duration.ofSeconds(60)).build();
        fails("[pool www] 'request_slowlog_timeout' (1.5) can't be greater than 'request_terminate_timeout' (1)",
                () -> ok().slowlog(Path.of("s.log")).requestSlowlogTimeout(Duration.ofMillis(1500))
                        .requestTerminateTimeout(Duration.ofSeconds(1)).build());
    }

    static Stream<Arguments> setterErrors() {
        return Stream.of(
                Arguments.of("[pool www] pm.max_children must be a positive value",
                        (Consumer<PoolConfig.Builder>) b -> b.maxChildren(0)),
                Arguments.of("[pool www] unable to parse value for entry 'pm.max_requests': is not a valid number "
                        + "(greater or equal than zero)", (Consumer<PoolConfig.Builder>) b -> b.maxRequests(-1)),
                Arguments.of("[pool www] unable to parse value for entry 'request_terminate_timeout': is not a valid "
                        + "number (greater or equal than zero)",
                        (Consumer<PoolConfig.Builder>) b -> b.requestTerminateTimeout(Duration.ofSeconds(-1))),
                Arguments.of("[pool www] unable to parse value for entry 'request_slowlog_timeout': is not a valid "
                        + "number (greater or equal than zero)",
                        (Consumer<PoolConfig.Builder>) b -> b.requestSlowlogTimeout(Duration.ofSeconds(-1))),
                Arguments.of("[pool www] 'request_slowlog_trace_depth' (-3) must be a positive value",
                        (Consumer<PoolConfig.Builder>) b -> b.requestSlowlogTraceDepth(-3)),
                Arguments.of("[pool www] the status path 'status' must start with a '/'",
                        (Consumer<PoolConfig.Builder>) b -> b.statusPath("status")),
                Arguments.of("[pool www] the status path '/st?tus' must contain only the following characters "
                        + "'[alphanum]/_-.~'", (Consumer<PoolConfig.Builder>) b -> b.statusPath("/st?tus")),
                Arguments.of("[pool www] the ping path 'ping' must start with a '/'",
                        (Consumer<PoolConfig.Builder>) b -> b.pingPath("ping")),
                Arguments.of("[pool www] the ping path '/' is not long enough",
                        (Consumer<PoolConfig.Builder>) b -> b.pingPath("/")),
                Arguments.of("[pool www] the ping path '/p ng' must contain only the following characters "
                        + "'[alphanum]/_-.~'", (Consumer<PoolConfig.Builder>) b -> b.pingPath("/p ng")),
                Arguments.of("[pool www] invalid port value '0'", (Consumer<PoolConfig.Builder>) b -> b.listen("0")),
                Arguments.of("[pool www] invalid port value '65536'",
                        (Consumer<PoolConfig.Builder>) b -> b.listen("127.0.0.1:65536")),
                Arguments.of("[pool www] invalid port value ''",
                        (Consumer<PoolConfig.Builder>) b -> b.listen("[::1]:")),
                Arguments.of("[pool www] invalid port value 'x'",
                        (Consumer<PoolConfig.Builder>) b -> b.statusListen("localhost:x")),
                Arguments.of("[pool www] Values provided to field 'access.suppress_path' must begin with '/'",
                        (Consumer<PoolConfig.Builder>) b -> b.accessSuppressPath("ping")),
                Arguments.of("[pool www] env[FOO] empty value", (Consumer<PoolConfig.Builder>) b -> b.env("FOO", "")));
    }

    @ParameterizedTest
    @MethodSource("setterErrors")
    void settersFailAtOnceWithFpmsMessage(String message, Consumer<PoolConfig.Builder> change) {
        fails(message, () -> change.accept(PoolConfig.builder("www")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"9000", "127.0.0.1:9000", "[::1]:9000", "localhost:9000", "/run/php/www.sock", "www.sock"})
    void listenAcceptsFpmsForms(String address) {
        assertEquals(address, ok().listen(address).build().listen());
    }

    @Test
    void statusListenServesTheStatusPageOnSlash() {
        PoolConfig c = ok().statusListen("127.0.0.1:9001").build();
        assertEquals("/", c.statusPath());
        assertEquals("/", ok().statusListen("9001").statusPath("/").build().statusPath());
        assertEquals("/fpm-status", ok().statusListen("9001").statusPath("/fpm-status").build().statusPath());
    }

    @Test
    void listenOwnerGroupAndModeAreKept() {
        PoolConfig c = ok().listen("/run/php/www.sock").listenOwner("www-data").listenGroup("33").listenMode("0600")
                .build();
        assertEquals("www-data", c.listenOwner());
        assertEquals("33", c.listenGroup());
        assertEquals(0600, c.listenMode());
        assertTrue(c.toString().contains("\tlisten.owner = www-data\n\tlisten.group = 33\n\tlisten.mode = 0600\n"),
                c.toString());
        PoolConfig unset = ok().listenOwner("www-data").listenOwner("").listenGroup(null).listenMode("0600")
                .listenMode("").build();
        assertNull(unset.listenOwner());
        assertNull(unset.listenGroup());
        assertEquals(0660, unset.listenMode());
        assertTrue(unset.toString().contains("\tlisten.owner = undefined\n"), unset.toString());
        assertTrue(unset.toString().contains("\tlisten.mode = 0660\n"), unset.toString());
    }

    @ParameterizedTest
    @CsvSource({"0660, 432", "660, 432", "0, 0", "0777, 511", "777, 511", "0600, 384", "0007, 7"})
    void listenModeIsOctal(String mode, int expected) {
        assertEquals(expected, ok().listenMode(mode).build().listenMode());
    }

    @ParameterizedTest
    @ValueSource(strings = {"0888", "rw-rw----", "01777", "1000", "-1", "0x1b6", "00660", " 0660", "0660 "})
    void listenModeRejectsAnythingButOctalPermissionBits(String mode) {
        fails("[pool www] invalid listen.mode value '" + mode + "' (expected: octal, 0 to 0777)",
                () -> PoolConfig.builder("www").listenMode(mode));
    }

    @Test
    void allowedClientsAcceptAddressesAndCidrRanges() throws Exception {
        PoolConfig c = ok().listenAllowedClients("127.0.0.1, 10.0.0.0/8,::1,fd00::/8, 192.168.1.1/24").build();
        assertEquals(List.of("127.0.0.1", "10.0.0.0/8", "::1", "fd00::/8", "192.168.1.1/24"),
                c.listenAllowedClients());
        assertTrue(c.isAllowedClient(InetAddress.getByName("127.0.0.1")));
        assertFalse(c.isAllowedClient(InetAddress.getByName("127.0.0.2")));
        assertTrue(c.isAllowedClient(InetAddress.getByName("10.255.3.4")));
        assertTrue(c.isAllowedClient(InetAddress.getByName("192.168.1.200")));
        assertTrue(c.isAllowedClient(InetAddress.getByName("fdab::17")));
        assertFalse(c.isAllowedClient(InetAddress.getByName("fe80::1")));
    }

    @Test
    void allowedClientsEmptyAllowsAnyClient() throws Exception {
        PoolConfig any = ok().listenAllowedClients("").build();
        assertEquals(List.of(), any.listenAllowedClients());
        assertTrue(any.isAllowedClient(InetAddress.getByName("203.0.113.9")));
        assertTrue(ok().listenAllowedClients((String) null).build().isAllowedClient(InetAddress.getByName("::1")));
    }

    // The parsing itself is AllowedClientTest's (fcgi-protocol); here, FPM's message for what it refuses.
    @ParameterizedTest
    @ValueSource(strings = {"localhost", "256.0.0.1", "10.0.0.0/33", "fe80::1%eth0", "[::1]", " *"})
    void allowedClientsRejectBadEntries(String entry) {
        fails("[pool www] Wrong IP address '" + entry.strip() + "' in listen.allowed_clients",
                () -> PoolConfig.builder("www").listenAllowedClients("127.0.0.1," + entry));
    }

    @Test
    void allowedClientsRejectEmptyEntriesInAList() {
        fails("[pool www] Wrong IP address '' in listen.allowed_clients",
                () -> PoolConfig.builder("www").listenAllowedClients("127.0.0.1,,10.0.0.1"));
    }

    @ParameterizedTest
    @CsvSource({"PT10S, 10", "PT1.5S, 1.5", "PT0.001S, 0.001", "PT0S, 0", "PT-1S, -1"})
    void secondsFormatsLikeFpm(Duration d, String expected) {
        assertEquals(expected, PoolConfig.seconds(d));
    }

    @Test
    void equalConfigsAreEqual() {
        assertEquals(dynamic(10, 2, 5).build(), dynamic(10, 2, 5).build());
        assertEquals(dynamic(10, 2, 5).build().hashCode(), dynamic(10, 2, 5).build().hashCode());
        assertFalse(dynamic(10, 2, 5).build().equals(dynamic(10, 2, 6).build()));
        assertTrue(dynamic(10, 2, 5).build().toString().contains("\tpm = dynamic\n"));
    }

    @Test
    void poolNameIsRequired() {
        assertThrows(IllegalArgumentException.class, () -> PoolConfig.builder(""));
        assertThrows(NullPointerException.class, () -> PoolConfig.builder(null));
    }

    @Test
    void childProcessDirectivesAreKeptAndChecked() {
        PoolConfig config = ok().user("www-data").group("www-data").chdir("/").rlimitFiles(1024)
                .rlimitCore("unlimited").processPriority(-5).phpValue("memory_limit", "64M")
                .phpAdminFlag("display_errors", "off").phpFlag("short_open_tag", "Yes")
                .phpValue("memory_limit", "128M").build();
        assertEquals("www-data", config.user());
        assertEquals("www-data", config.group());
        assertEquals(java.nio.file.Path.of("/"), config.chdir());
        assertEquals(1024L, config.rlimitFiles());
        assertEquals(-1L, config.rlimitCore());
        assertEquals(-5, config.processPriority());
        assertEquals(java.util.List.of(new PhpIniSetting("display_errors", "0", true),
                new PhpIniSetting("short_open_tag", "1", false),
                new PhpIniSetting("memory_limit", "128M", false)), config.phpSettings());
        assertTrue(config.toString().contains("\trlimit_core = unlimited\n"), config.toString());
        assertTrue(config.toString().contains("\tphp_admin_value[display_errors] = 0\n"), config.toString());

        fails("[pool www] process.priority must be included into [-19,20]", () -> ok().processPriority(21));
        fails("[pool www] unable to parse value for entry 'rlimit_core': must be greater than zero or 'unlimited'",
                () -> ok().rlimitCore("-2"));
        fails("[pool www] the chdir path 'var/www' must start with a '/'", () -> ok().chdir("var/www"));
        fails("[pool www] the chdir path '/no/such/dir' does not exist or is not a directory",
                () -> ok().chdir("/no/such/dir").build());
        fails("[pool www] unable to parse value for entry 'display_errors': invalid boolean value",
                () -> ok().phpFlag("display_errors", "maybe"));
        // php-cgi reads -d options as INI text: a line break would add a directive of the attacker's choice
        fails("[pool www] invalid value for the PHP INI setting 'x': a line break or NUL",
                () -> ok().phpValue("x", "1\rauto_prepend_file=/tmp/evil.php"));
        fails("[pool www] invalid PHP INI name 'a\\nb'", () -> ok().phpAdminValue("a\nb", "1"));
        // FPM: a php_admin_value is not overridden by a later php_value of the same name
        PoolConfig admin = ok().phpAdminValue("open_basedir", "/srv").phpValue("open_basedir", "/").build();
        assertEquals(java.util.List.of(new PhpIniSetting("open_basedir", "/srv", true)), admin.phpSettings());
    }
}
