package dev.fcgi.pool;

import dev.fcgi.protocol.server.AllowedClient;

import java.math.BigDecimal;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The settings of one pool, named and defaulted after php-fpm.conf's pool directives ({@code [www]} section) and
 * validated with FPM's own messages. Immutable; build one with {@link #builder(String)}.
 *
 * <ul>
 *   <li>Each builder setter checks its own value at once, where FPM's rule needs no other directive (for example
 *       {@code pm.max_children < 1}, a malformed {@code ping.path} or {@code listen.allowed_clients} entry).</li>
 *   <li>{@link Builder#build()} applies the rules that involve several directives or depend on {@code pm}, in FPM's
 *       order ({@code fpm_conf_process_all_pools()}), and throws a {@link PoolConfigException} with the first error.</li>
 *   <li>The builder keeps "unset" apart from "default" where FPM does: an unset {@code pm.start_servers} of a
 *       dynamic pool becomes {@code min_spare + (max_spare - min_spare) / 2} and FPM's NOTICE is kept in
 *       {@link #notices()}.</li>
 *   <li>Times are {@link Duration}s; FPM's whole seconds are the common case, finer values are allowed.</li>
 * </ul>
 *
 * <p>The directives for child processes ({@code user}, {@code group}, {@code chdir}, {@code rlimit_*},
 * {@code process.priority}, {@code env[]}, {@code php_value[]}...) are kept here too and applied by
 * {@link dev.fcgi.pool.process.ChildProcessWorkers}; an in-JVM pool has no use for them. {@code $pool} expansion and
 * relative paths ({@code prefix}) belong to the php-fpm.conf reader.
 */
public final class PoolConfig {
    /** Default {@code listen.backlog}: FPM's Linux value (the JDK would pick 50 for a value {@code <= 0}). */
    public static final int DEFAULT_LISTEN_BACKLOG = 511;
    /** Default {@code listen.mode}: read and write for the owner and the group of the Unix socket file. */
    public static final int DEFAULT_LISTEN_MODE = 0660;
    /** Default {@code pm.max_spawn_rate}. */
    public static final int DEFAULT_MAX_SPAWN_RATE = 32;
    /** Default {@code pm.process_idle_timeout}. */
    public static final Duration DEFAULT_PROCESS_IDLE_TIMEOUT = Duration.ofSeconds(10);
    /** Default {@code request_slowlog_trace_depth}. */
    public static final int DEFAULT_SLOWLOG_TRACE_DEPTH = 20;
    /** Default {@code ping.response}, used when {@code ping.path} is set. */
    public static final String DEFAULT_PING_RESPONSE = "pong";
    /** Default {@code access.format}. */
    public static final String DEFAULT_ACCESS_FORMAT = "%R - %u %t \"%m %r\" %s";
    /** Default {@code security.limit_extensions} (FPM's code default; its docs say {@code .php}). */
    public static final String DEFAULT_LIMIT_EXTENSIONS = ".php .phar";

    private static final String NOT_A_NUMBER = "is not a valid number (greater or equal than zero)";

    private final String name;
    private final String listen;
    private final int listenBacklog;
    private final String listenOwner;
    private final String listenGroup;
    private final int listenMode;
    private final List<String> listenAllowedClients;
    private final List<AllowedClient> allowedClients;
    private final ProcessManager pm;
    private final int maxChildren;
    private final int startServers;
    private final int minSpareServers;
    private final int maxSpareServers;
    private final int maxSpawnRate;
    private final Duration processIdleTimeout;
    private final int maxRequests;
    private final String statusPath;
    private final String statusListen;
    private final String pingPath;
    private final String pingResponse;
    private final Path accessLog;
    private final String accessFormat;
    private final List<String> accessSuppressPaths;
    private final Path slowlog;
    private final Duration requestSlowlogTimeout;
    private final int requestSlowlogTraceDepth;
    private final Duration requestTerminateTimeout;
    private final boolean requestTerminateTimeoutTrackFinished;
    private final boolean catchWorkersOutput;
    private final boolean decorateWorkersOutput;
    private final boolean clearEnv;
    private final List<String> securityLimitExtensions;
    private final boolean securityLimitExtensionsSet;
    private final Map<String, String> env;
    private final String user;
    private final String group;
    private final Path chdir;
    private final Long rlimitFiles;
    private final Long rlimitCore;
    private final Integer processPriority;
    private final List<PhpIniSetting> phpSettings;
    private final List<String> notices;

    private PoolConfig(Builder b, int startServers, int minSpare, int maxSpare, int backlog, String statusPath,
                       String pingResponse, List<String> notices) {
        this.name = b.name;
        this.listen = b.listen;
        this.listenBacklog = backlog;
        this.listenOwner = b.listenOwner;
        this.listenGroup = b.listenGroup;
        this.listenMode = b.listenMode;
        this.listenAllowedClients = List.copyOf(b.listenAllowedClients);
        this.allowedClients = List.copyOf(b.allowedClients);
        this.pm = b.pm;
        this.maxChildren = b.maxChildren;
        this.startServers = startServers;
        this.minSpareServers = minSpare;
        this.maxSpareServers = maxSpare;
        this.maxSpawnRate = b.maxSpawnRate;
        this.processIdleTimeout = b.processIdleTimeout;
        this.maxRequests = b.maxRequests;
        this.statusPath = statusPath;
        this.statusListen = b.statusListen;
        this.pingPath = b.pingPath;
        this.pingResponse = pingResponse;
        this.accessLog = b.accessLog;
        this.accessFormat = b.accessFormat;
        this.accessSuppressPaths = List.copyOf(b.accessSuppressPaths);
        this.slowlog = b.slowlog;
        this.requestSlowlogTimeout = b.requestSlowlogTimeout;
        this.requestSlowlogTraceDepth = b.requestSlowlogTraceDepth == null
                ? DEFAULT_SLOWLOG_TRACE_DEPTH : b.requestSlowlogTraceDepth;
        this.requestTerminateTimeout = b.requestTerminateTimeout;
        this.requestTerminateTimeoutTrackFinished = b.requestTerminateTimeoutTrackFinished;
        this.catchWorkersOutput = b.catchWorkersOutput;
        this.decorateWorkersOutput = b.decorateWorkersOutput;
        this.clearEnv = b.clearEnv;
        this.securityLimitExtensions = List.copyOf(b.securityLimitExtensions);
        this.securityLimitExtensionsSet = b.securityLimitExtensionsSet;
        this.env = Collections.unmodifiableMap(new LinkedHashMap<>(b.env));
        this.user = b.user;
        this.group = b.group;
        this.chdir = b.chdir;
        this.rlimitFiles = b.rlimitFiles;
        this.rlimitCore = b.rlimitCore;
        this.processPriority = b.processPriority;
        this.phpSettings = List.copyOf(b.phpSettings.values());
        this.notices = List.copyOf(notices);
    }

    /**
     * Starts a configuration for the pool {@code poolName} (the {@code [name]} of its php-fpm.conf section), with
     * every directive unset or at FPM's default.
     *
     * @throws IllegalArgumentException if the name is empty
     */
    public static Builder builder(String poolName) {
        Objects.requireNonNull(poolName, "poolName");
        if (poolName.isEmpty()) {
            throw new IllegalArgumentException("pool name must not be empty");
        }
        return new Builder(poolName);
    }

    /** The pool name, FPM's section name ({@code [www]}); it prefixes every log line and error of the pool. */
    public String name() {
        return name;
    }

    /**
     * {@code listen}: the address as FPM writes it: {@code ip:port}, {@code [ipv6]:port}, {@code port} (all
     * interfaces) or a Unix socket path. Mandatory.
     */
    public String listen() {
        return listen;
    }

    /** {@code listen.backlog}: the {@code listen(2)} backlog, FPM's only request queue. Default 511. */
    public int listenBacklog() {
        return listenBacklog;
    }

    /**
     * {@code listen.owner}: the user (name or uid) a Unix socket file is given, or {@code null} (the default: the
     * user running the pool).
     */
    public String listenOwner() {
        return listenOwner;
    }

    /**
     * {@code listen.group}: the group (name or gid) a Unix socket file is given, or {@code null} (the default: the
     * primary group of the user running the pool).
     */
    public String listenGroup() {
        return listenGroup;
    }

    /** {@code listen.mode}: the permission bits of a Unix socket file. Default 0660. */
    public int listenMode() {
        return listenMode;
    }

    /**
     * {@code listen.allowed_clients}: the addresses and CIDR ranges allowed to connect over TCP, as written.
     * Empty (the default) allows any client.
     */
    public List<String> listenAllowedClients() {
        return listenAllowedClients;
    }

    /** Whether {@code client} may connect under {@code listen.allowed_clients}: always true when the list is empty. */
    public boolean isAllowedClient(InetAddress client) {
        if (allowedClients.isEmpty()) {
            return true;
        }
        for (AllowedClient c : allowedClients) {
            if (c.matches(client)) {
                return true;
            }
        }
        return false;
    }

    /** {@code pm}: the process manager. Mandatory. */
    public ProcessManager pm() {
        return pm;
    }

    /** {@code pm.max_children}: the most workers the pool runs at once (static: exactly this many). Mandatory. */
    public int maxChildren() {
        return maxChildren;
    }

    /**
     * {@code pm.start_servers}: workers started at boot by a dynamic pool. When unset, FPM's
     * {@code min_spare + (max_spare - min_spare) / 2}; always 0 for ondemand; as set (unused) for static.
     */
    public int startServers() {
        return startServers;
    }

    /** {@code pm.min_spare_servers}: the fewest idle workers a dynamic pool keeps. 0 for ondemand. */
    public int minSpareServers() {
        return minSpareServers;
    }

    /** {@code pm.max_spare_servers}: the most idle workers a dynamic pool keeps. 0 for ondemand. */
    public int maxSpareServers() {
        return maxSpareServers;
    }

    /** {@code pm.max_spawn_rate}: the cap of a dynamic pool's doubling spawn rate, per tick. Default 32. */
    public int maxSpawnRate() {
        return maxSpawnRate;
    }

    /** {@code pm.process_idle_timeout}: how long an ondemand worker may stay idle before it is retired. Default 10s. */
    public Duration processIdleTimeout() {
        return processIdleTimeout;
    }

    /** {@code pm.max_requests}: requests a worker serves before it is replaced; 0 (the default) means never. */
    public int maxRequests() {
        return maxRequests;
    }

    /** The strategy {@code pm} and its settings describe. */
    public PoolStrategy strategy() {
        return switch (pm) {
            case STATIC -> StaticStrategy.of(maxChildren);
            case DYNAMIC -> DynamicStrategy.newBuilder().maxChildren(maxChildren).startServers(startServers)
                    .minSpareServers(minSpareServers).maxSpareServers(maxSpareServers).maxSpawnRate(maxSpawnRate)
                    .build();
            case ONDEMAND -> OnDemandStrategy.newBuilder().maxChildren(maxChildren)
                    .processIdleTimeout(processIdleTimeout).build();
        };
    }

    /**
     * {@code pm.status_path}: the URI of the status page, or {@code null} (the default: no status page). {@code "/"}
     * when only {@code pm.status_listen} is set.
     */
    public String statusPath() {
        return statusPath;
    }

    /** {@code pm.status_listen}: a separate address serving only the status page, or {@code null} (the default). */
    public String statusListen() {
        return statusListen;
    }

    /** {@code ping.path}: the URI of the ping page, or {@code null} (the default: no ping page). */
    public String pingPath() {
        return pingPath;
    }

    /** {@code ping.response}: the body of the ping page; {@code "pong"} by default, {@code null} without ping.path. */
    public String pingResponse() {
        return pingResponse;
    }

    /** {@code access.log}: the per-request log file, or {@code null} (the default: no access log). */
    public Path accessLog() {
        return accessLog;
    }

    /** {@code access.format}: the access log line format. Default {@code %R - %u %t "%m %r" %s}. */
    public String accessFormat() {
        return accessFormat;
    }

    /** {@code access.suppress_path[]}: request URIs that are never written to the access log. Default empty. */
    public List<String> accessSuppressPaths() {
        return accessSuppressPaths;
    }

    /** {@code slowlog}: the file slow requests' stack traces go to, or {@code null} (the default). */
    public Path slowlog() {
        return slowlog;
    }

    /** {@code request_slowlog_timeout}: a request running longer is traced to the slowlog. {@link Duration#ZERO} (the default) is off. */
    public Duration requestSlowlogTimeout() {
        return requestSlowlogTimeout;
    }

    /** {@code request_slowlog_trace_depth}: stack frames written per slow request. Default 20. */
    public int requestSlowlogTraceDepth() {
        return requestSlowlogTraceDepth;
    }

    /** {@code request_terminate_timeout}: a request running longer is terminated. {@link Duration#ZERO} (the default) is off. */
    public Duration requestTerminateTimeout() {
        return requestTerminateTimeout;
    }

    /**
     * {@code request_terminate_timeout_track_finished}: whether the terminate timeout still applies after the
     * response is complete. Default false.
     */
    public boolean requestTerminateTimeoutTrackFinished() {
        return requestTerminateTimeoutTrackFinished;
    }

    /** {@code catch_workers_output}: whether workers' stdout/stderr go to the pool's log. Default false. */
    public boolean catchWorkersOutput() {
        return catchWorkersOutput;
    }

    /** {@code decorate_workers_output}: whether caught output lines get FPM's {@code [pool %s] child %d said into ...} prefix. Default true. */
    public boolean decorateWorkersOutput() {
        return decorateWorkersOutput;
    }

    /** {@code clear_env}: whether workers start with an empty environment (plus {@link #env()}). Default true. */
    public boolean clearEnv() {
        return clearEnv;
    }

    /**
     * {@code security.limit_extensions}: the only script suffixes served (403 otherwise). Default
     * {@code [.php, .phar]}; empty allows every script.
     */
    public List<String> securityLimitExtensions() {
        return securityLimitExtensions;
    }

    /**
     * Whether {@code security.limit_extensions} was set. An in-JVM pool applies it only then (its scripts are not
     * PHP files); a pool of PHP children applies FPM's default too.
     */
    public boolean hasSecurityLimitExtensions() {
        return securityLimitExtensionsSet;
    }

    /**
     * {@code env[NAME]}: variables set in the workers' environment, in the order given. A value {@code $VAR} is
     * taken from the master's environment when the worker starts. Default empty.
     */
    public Map<String, String> env() {
        return env;
    }

    /** {@code user}: the user child processes run as when the host runs as root, or {@code null} (unset). */
    public String user() {
        return user;
    }

    /** {@code group}: the group child processes run as, or {@code null} (the user's primary group). */
    public String group() {
        return group;
    }

    /** {@code chdir}: the working directory of child processes, or {@code null} (the host's). */
    public Path chdir() {
        return chdir;
    }

    /** {@code rlimit_files}: the open files limit of child processes, or {@code null} (inherited). */
    public Long rlimitFiles() {
        return rlimitFiles;
    }

    /** {@code rlimit_core}: the core file size limit of child processes, -1 for unlimited, or {@code null} (inherited). */
    public Long rlimitCore() {
        return rlimitCore;
    }

    /** {@code process.priority}: the nice value of child processes, -19 to 20, or {@code null} (inherited). */
    public Integer processPriority() {
        return processPriority;
    }

    /**
     * {@code php_value[]}, {@code php_flag[]}, {@code php_admin_value[]} and {@code php_admin_flag[]}, in the order
     * first given (a later value for the same name replaces the earlier one); php-cgi children get them as
     * {@code -d name=value}.
     */
    public List<PhpIniSetting> phpSettings() {
        return phpSettings;
    }

    /** FPM's NOTICE and WARNING lines for defaults {@link Builder#build()} chose, e.g. the unset {@code pm.start_servers}. */
    public List<String> notices() {
        return notices;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PoolConfig c && toString().equals(c.toString());
    }

    @Override
    public int hashCode() {
        return toString().hashCode();
    }

    /** The directives in php-fpm.conf form, one per line, like {@code php-fpm -tt}. */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("[").append(name).append("]\n");
        line(s, "listen", listen);
        line(s, "listen.backlog", listenBacklog);
        line(s, "listen.owner", listenOwner);
        line(s, "listen.group", listenGroup);
        line(s, "listen.mode", String.format("%04o", listenMode));
        line(s, "listen.allowed_clients", String.join(",", listenAllowedClients));
        line(s, "pm", pm.fpmName());
        line(s, "pm.max_children", maxChildren);
        line(s, "pm.start_servers", startServers);
        line(s, "pm.min_spare_servers", minSpareServers);
        line(s, "pm.max_spare_servers", maxSpareServers);
        line(s, "pm.max_spawn_rate", maxSpawnRate);
        line(s, "pm.process_idle_timeout", seconds(processIdleTimeout) + "s");
        line(s, "pm.max_requests", maxRequests);
        line(s, "pm.status_path", statusPath);
        line(s, "pm.status_listen", statusListen);
        line(s, "ping.path", pingPath);
        line(s, "ping.response", pingResponse);
        line(s, "access.log", accessLog);
        line(s, "access.format", accessFormat);
        line(s, "access.suppress_path", accessSuppressPaths);
        line(s, "slowlog", slowlog);
        line(s, "request_slowlog_timeout", seconds(requestSlowlogTimeout) + "s");
        line(s, "request_slowlog_trace_depth", requestSlowlogTraceDepth);
        line(s, "request_terminate_timeout", seconds(requestTerminateTimeout) + "s");
        line(s, "request_terminate_timeout_track_finished", yesNo(requestTerminateTimeoutTrackFinished));
        line(s, "catch_workers_output", yesNo(catchWorkersOutput));
        line(s, "decorate_workers_output", yesNo(decorateWorkersOutput));
        line(s, "clear_env", yesNo(clearEnv));
        line(s, "security.limit_extensions", String.join(" ", securityLimitExtensions));
        env.forEach((k, v) -> line(s, "env[" + k + "]", v));
        line(s, "user", user);
        line(s, "group", group);
        line(s, "chdir", chdir);
        line(s, "rlimit_files", rlimitFiles);
        line(s, "rlimit_core", rlimitCore == null ? null : rlimitCore < 0 ? "unlimited" : rlimitCore);
        line(s, "process.priority", processPriority);
        for (PhpIniSetting setting : phpSettings) {
            line(s, (setting.admin() ? "php_admin_value[" : "php_value[") + setting.name() + "]", setting.value());
        }
        return s.toString();
    }

    private static void line(StringBuilder s, String directive, Object value) {
        s.append('\t').append(directive).append(" = ").append(value == null ? "undefined" : value).append('\n');
    }

    private static String yesNo(boolean b) {
        return b ? "yes" : "no";
    }

    /** A duration in FPM's whole seconds, or with a fraction when it has one ({@code 1.5}). */
    static String seconds(Duration d) {
        if (d.getNano() == 0) {
            return Long.toString(d.getSeconds());
        }
        return new BigDecimal(d.getSeconds()).add(BigDecimal.valueOf(d.getNano(), 9)).stripTrailingZeros()
                .toPlainString();
    }

    /**
     * Collects a pool's directives; {@link #build()} validates them together. Not thread-safe. A directive may be set
     * again; the last value wins, as when php-fpm.conf re-opens a section.
     */
    public static final class Builder {
        private final String name;
        private String listen;
        private int listenBacklog = DEFAULT_LISTEN_BACKLOG;
        private String listenOwner;
        private String listenGroup;
        private int listenMode = DEFAULT_LISTEN_MODE;
        private final List<String> listenAllowedClients = new ArrayList<>();
        private final List<AllowedClient> allowedClients = new ArrayList<>();
        private ProcessManager pm;
        private int maxChildren;                 // 0 = unset, refused by build() with FPM's message
        private Integer startServers;            // null = unset
        private Integer minSpareServers;
        private Integer maxSpareServers;
        private int maxSpawnRate = DEFAULT_MAX_SPAWN_RATE;
        private Duration processIdleTimeout = DEFAULT_PROCESS_IDLE_TIMEOUT;
        private int maxRequests;
        private String statusPath;
        private String statusListen;
        private String pingPath;
        private String pingResponse;             // null = unset ("pong" when ping.path is set)
        private Path accessLog;
        private String accessFormat = DEFAULT_ACCESS_FORMAT;
        private final List<String> accessSuppressPaths = new ArrayList<>();
        private Path slowlog;
        private Duration requestSlowlogTimeout = Duration.ZERO;
        private Integer requestSlowlogTraceDepth; // null = unset (20, and no slowlog needed)
        private Duration requestTerminateTimeout = Duration.ZERO;
        private boolean requestTerminateTimeoutTrackFinished;
        private boolean catchWorkersOutput;
        private boolean decorateWorkersOutput = true;
        private boolean clearEnv = true;
        private List<String> securityLimitExtensions = split(DEFAULT_LIMIT_EXTENSIONS);
        private boolean securityLimitExtensionsSet;
        private final Map<String, String> env = new LinkedHashMap<>();
        private String user;
        private String group;
        private Path chdir;
        private Long rlimitFiles;
        private Long rlimitCore;
        private Integer processPriority;
        private final Map<String, PhpIniSetting> phpSettings = new LinkedHashMap<>();

        private Builder(String name) {
            this.name = name;
        }

        private PoolConfigException error(String format, Object... args) {
            return new PoolConfigException(name, args.length == 0 ? format : String.format(format, args));
        }

        private PoolConfigException notANumber(String directive) {
            return error("unable to parse value for entry '%s': %s", directive, NOT_A_NUMBER);
        }

        private static String emptyToNull(String s) {
            return s == null || s.isEmpty() ? null : s;
        }

        /**
         * {@code listen}: the address to accept FastCGI connections on, as FPM writes it: {@code ip:port},
         * {@code [ipv6]:port}, {@code port} or a Unix socket path. Mandatory; {@code null} or empty unsets it.
         *
         * @throws PoolConfigException {@code invalid port value '%s'} for a TCP address whose port is not 1..65535
         */
        public Builder listen(String address) {
            address = emptyToNull(address);
            if (address != null) {
                checkPort(address);
            }
            this.listen = address;
            return this;
        }

        /** FPM's domain rule: TCP if the address contains ':' or is all digits; then the port must be 1..65535. */
        private void checkPort(String address) {
            boolean allDigits = address.chars().allMatch(c -> c >= '0' && c <= '9');
            int colon = address.lastIndexOf(':');
            if (colon < 0 && !allDigits) {
                return;                                              // a Unix socket path
            }
            String port = colon < 0 ? address : address.substring(colon + 1);
            boolean ok = !port.isEmpty() && port.length() <= 5 && port.chars().allMatch(c -> c >= '0' && c <= '9');
            if (!ok || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535) {
                throw error("invalid port value '%s'", port);
            }
        }

        /**
         * {@code listen.backlog}: the {@code listen(2)} backlog. Default 511. An ondemand pool raises a value below
         * 511 to 511, with FPM's warning in {@link PoolConfig#notices()}.
         */
        public Builder listenBacklog(int backlog) {
            this.listenBacklog = backlog;
            return this;
        }

        /**
         * {@code listen.owner}: the user, by name or uid, a Unix socket file is given; looked up when the pool's
         * server starts. {@code null} or empty (the default) leaves the file to the user running the pool.
         */
        public Builder listenOwner(String user) {
            this.listenOwner = emptyToNull(user);
            return this;
        }

        /**
         * {@code listen.group}: the group, by name or gid, a Unix socket file is given; looked up when the pool's
         * server starts. {@code null} or empty (the default) leaves the file in the primary group of the user
         * running the pool.
         */
        public Builder listenGroup(String group) {
            this.listenGroup = emptyToNull(group);
            return this;
        }

        /**
         * {@code listen.mode} as php-fpm.conf writes it, in octal ({@code 0660} or {@code 660}); {@code null} or
         * empty is the default, 0660.
         *
         * @throws PoolConfigException {@code invalid listen.mode value '%s'} unless it is 1 to 4 octal digits up to
         *                             0777 (FPM's {@code strtoul()} takes any text, as 0 when it is no number)
         */
        public Builder listenMode(String mode) {
            mode = emptyToNull(mode);
            if (mode == null) {
                this.listenMode = DEFAULT_LISTEN_MODE;
                return this;
            }
            boolean octal = mode.length() <= 4 && mode.chars().allMatch(c -> c >= '0' && c <= '7');
            if (!octal || Integer.parseInt(mode, 8) > 0777) {
                throw error("invalid listen.mode value '%s' (expected: octal, 0 to 0777)", mode);
            }
            this.listenMode = Integer.parseInt(mode, 8);
            return this;
        }

        /**
         * {@code listen.allowed_clients} in FPM's syntax: a comma-separated list of IPv4/IPv6 addresses, and (unlike
         * FPM) CIDR ranges such as {@code 10.0.0.0/8}. Spaces around entries are ignored; {@code null} or an empty
         * list allows any client (the default).
         *
         * @throws PoolConfigException {@code Wrong IP address '%s' in listen.allowed_clients} for a bad entry
         */
        public Builder listenAllowedClients(String commaSeparated) {
            return listenAllowedClients(commaSeparated == null ? List.of() : List.of(commaSeparated.split(",", -1)));
        }

        /** {@code listen.allowed_clients} as a list of addresses and CIDR ranges; see {@link #listenAllowedClients(String)}. */
        public Builder listenAllowedClients(Collection<String> clients) {
            List<String> texts = new ArrayList<>();
            List<AllowedClient> parsed = new ArrayList<>();
            for (String entry : clients) {
                String e = entry == null ? "" : entry.strip();
                if (e.isEmpty() && clients.size() == 1) {
                    continue;                                        // "listen.allowed_clients =": any client
                }
                try {
                    parsed.add(AllowedClient.parse(e));
                } catch (IllegalArgumentException bad) {
                    throw error("Wrong IP address '%s' in listen.allowed_clients", e);
                }
                texts.add(e);
            }
            listenAllowedClients.clear();
            listenAllowedClients.addAll(texts);
            allowedClients.clear();
            allowedClients.addAll(parsed);
            return this;
        }

        /** {@code pm}: the process manager. Mandatory. */
        public Builder pm(ProcessManager pm) {
            this.pm = Objects.requireNonNull(pm, "pm");
            return this;
        }

        /**
         * {@code pm} as written in php-fpm.conf ({@code static}, {@code dynamic}, {@code ondemand}, any case).
         *
         * @throws PoolConfigException with FPM's parser message {@code invalid process manager (static, dynamic or ondemand)}
         */
        public Builder pm(String value) {
            try {
                return pm(ProcessManager.parse(value));
            } catch (IllegalArgumentException e) {
                throw error("unable to parse value for entry 'pm': %s", ProcessManager.INVALID);
            }
        }

        /**
         * {@code pm.max_children}: the most workers at once (static: exactly this many). Mandatory.
         *
         * @throws PoolConfigException {@code pm.max_children must be a positive value} if below 1
         */
        public Builder maxChildren(int maxChildren) {
            if (maxChildren < 1) {
                throw error("pm.max_children must be a positive value");
            }
            this.maxChildren = maxChildren;
            return this;
        }

        /**
         * {@code pm.start_servers}: workers a dynamic pool starts at boot. Unset by default, and a value {@code <= 0}
         * counts as unset (as in FPM): then {@code min_spare + (max_spare - min_spare) / 2}, with FPM's NOTICE.
         */
        public Builder startServers(int startServers) {
            this.startServers = startServers;
            return this;
        }

        /** {@code pm.min_spare_servers}: the fewest idle workers of a dynamic pool. Mandatory for dynamic; checked by build(). */
        public Builder minSpareServers(int minSpareServers) {
            this.minSpareServers = minSpareServers;
            return this;
        }

        /** {@code pm.max_spare_servers}: the most idle workers of a dynamic pool. Mandatory for dynamic; checked by build(). */
        public Builder maxSpareServers(int maxSpareServers) {
            this.maxSpareServers = maxSpareServers;
            return this;
        }

        /** {@code pm.max_spawn_rate}: the cap of a dynamic pool's spawn rate. Default 32; build() requires {@code >= 1} for dynamic. */
        public Builder maxSpawnRate(int maxSpawnRate) {
            this.maxSpawnRate = maxSpawnRate;
            return this;
        }

        /** {@code pm.process_idle_timeout}: idle age at which an ondemand worker retires. Default 10s; build() requires {@code > 0} for ondemand. */
        public Builder processIdleTimeout(Duration timeout) {
            this.processIdleTimeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        /**
         * {@code pm.max_requests}: requests per worker before it is replaced; 0 (the default) is never.
         *
         * @throws PoolConfigException FPM's number parser message if negative
         */
        public Builder maxRequests(int maxRequests) {
            if (maxRequests < 0) {
                throw notANumber("pm.max_requests");
            }
            this.maxRequests = maxRequests;
            return this;
        }

        /**
         * {@code pm.status_path}: the status page URI; {@code null} or empty (the default) disables it.
         *
         * @throws PoolConfigException FPM's messages if it does not start with '/' or has characters outside
         *                             {@code [alphanum]/_-.~} (its length is checked by build())
         */
        public Builder statusPath(String path) {
            this.statusPath = checkUri("status path", emptyToNull(path));
            return this;
        }

        /** {@code pm.status_listen}: a separate address serving only the status page; {@code null} (the default) for none. */
        public Builder statusListen(String address) {
            address = emptyToNull(address);
            if (address != null) {
                checkPort(address);
            }
            this.statusListen = address;
            return this;
        }

        /**
         * {@code ping.path}: the ping page URI; {@code null} or empty (the default) disables it.
         *
         * @throws PoolConfigException FPM's messages if it does not start with '/', is shorter than 2 characters or
         *                             has characters outside {@code [alphanum]/_-.~}
         */
        public Builder pingPath(String path) {
            path = checkUri("ping path", emptyToNull(path));
            if (path != null && path.length() < 2) {
                throw error("the ping path '%s' is not long enough", path);
            }
            this.pingPath = path;
            return this;
        }

        private String checkUri(String what, String path) {
            if (path == null) {
                return null;
            }
            if (path.charAt(0) != '/') {
                throw error("the %s '%s' must start with a '/'", what, path);
            }
            for (int i = 0; i < path.length(); i++) {
                char c = path.charAt(i);
                boolean alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
                if (!alnum && c != '/' && c != '-' && c != '_' && c != '.' && c != '~') {
                    throw error("the %s '%s' must contain only the following characters '[alphanum]/_-.~'", what, path);
                }
            }
            return path;
        }

        /** {@code ping.response}: the ping page body. Default {@code "pong"}; build() refuses an empty one when ping.path is set. */
        public Builder pingResponse(String response) {
            this.pingResponse = response;
            return this;
        }

        /** {@code access.log}: the per-request log file; {@code null} (the default) for none. */
        public Builder accessLog(Path file) {
            this.accessLog = file;
            return this;
        }

        /** {@code access.format}: the access log line format. Default {@code %R - %u %t "%m %r" %s}. */
        public Builder accessFormat(String format) {
            this.accessFormat = Objects.requireNonNull(format, "format");
            return this;
        }

        /**
         * {@code access.suppress_path[]}: adds a request URI that is never written to the access log.
         *
         * @throws PoolConfigException FPM's {@code Values provided to field 'access.suppress_path' must begin with '/'}
         */
        public Builder accessSuppressPath(String uri) {
            if (uri == null || !uri.startsWith("/")) {
                throw error("Values provided to field 'access.suppress_path' must begin with '/'");
            }
            accessSuppressPaths.add(uri);
            return this;
        }

        /** {@code slowlog}: where slow requests' stack traces go; {@code null} (the default) for none. */
        public Builder slowlog(Path file) {
            this.slowlog = file;
            return this;
        }

        /**
         * {@code request_slowlog_timeout}: trace requests running longer; zero (the default) is off. build() requires
         * {@code slowlog} and a value not above {@code request_terminate_timeout}.
         *
         * @throws PoolConfigException FPM's number parser message if negative
         */
        public Builder requestSlowlogTimeout(Duration timeout) {
            if (timeout.isNegative()) {
                throw notANumber("request_slowlog_timeout");
            }
            this.requestSlowlogTimeout = timeout;
            return this;
        }

        /**
         * {@code request_slowlog_trace_depth}: frames per slow request. Default 20; 0 counts as unset (as in FPM).
         * When set, build() requires {@code slowlog}.
         *
         * @throws PoolConfigException {@code 'request_slowlog_trace_depth' (%d) must be a positive value} if negative
         */
        public Builder requestSlowlogTraceDepth(int depth) {
            if (depth < 0) {
                throw error("'request_slowlog_trace_depth' (%d) must be a positive value", depth);
            }
            this.requestSlowlogTraceDepth = depth == 0 ? null : depth;
            return this;
        }

        /**
         * {@code request_terminate_timeout}: terminate requests running longer; zero (the default) is off.
         *
         * @throws PoolConfigException FPM's number parser message if negative
         */
        public Builder requestTerminateTimeout(Duration timeout) {
            if (timeout.isNegative()) {
                throw notANumber("request_terminate_timeout");
            }
            this.requestTerminateTimeout = timeout;
            return this;
        }

        /** {@code request_terminate_timeout_track_finished}: keep the terminate timer after the response ends. Default false. */
        public Builder requestTerminateTimeoutTrackFinished(boolean track) {
            this.requestTerminateTimeoutTrackFinished = track;
            return this;
        }

        /** {@code catch_workers_output}: send workers' stdout/stderr to the pool log. Default false. */
        public Builder catchWorkersOutput(boolean enabled) {
            this.catchWorkersOutput = enabled;
            return this;
        }

        /** {@code decorate_workers_output}: prefix caught output lines with the pool and worker. Default true. */
        public Builder decorateWorkersOutput(boolean enabled) {
            this.decorateWorkersOutput = enabled;
            return this;
        }

        /** {@code clear_env}: start workers with an empty environment plus {@code env[]}. Default true. */
        public Builder clearEnv(boolean enabled) {
            this.clearEnv = enabled;
            return this;
        }

        /**
         * {@code security.limit_extensions} in FPM's syntax: suffixes separated by spaces or tabs. Default
         * {@code .php .phar}; an empty string allows every script.
         */
        public Builder securityLimitExtensions(String extensions) {
            this.securityLimitExtensions = split(Objects.requireNonNull(extensions, "extensions"));
            this.securityLimitExtensionsSet = true;
            return this;
        }

        private static List<String> split(String list) {
            List<String> out = new ArrayList<>();
            for (String s : list.split("[ \t]+")) {
                if (!s.isEmpty()) {
                    out.add(s);
                }
            }
            return out;
        }

        /**
         * {@code env[NAME] = value}: sets a worker environment variable; {@code $VAR} is read from the master's
         * environment when a worker starts.
         *
         * @throws PoolConfigException {@code env[NAME] empty value} (FPM: {@code empty value}) for an empty value
         */
        public Builder env(String name, String value) {
            Objects.requireNonNull(name, "name");
            if (name.isEmpty()) {
                throw error("You must provide a key for field 'env'");
            }
            if (value == null || value.isEmpty()) {
                throw error("env[%s] empty value", name);
            }
            env.put(name, value);
            return this;
        }

        /** {@code user}: the user (name or uid) child processes run as when the host runs as root; empty unsets it. */
        public Builder user(String user) {
            this.user = emptyToNull(user);
            return this;
        }

        /** {@code group}: the group (name or gid) child processes run as; default the user's primary group. */
        public Builder group(String group) {
            this.group = emptyToNull(group);
            return this;
        }

        /**
         * {@code chdir}: the working directory of child processes.
         *
         * @throws PoolConfigException {@code the chdir path '%s' must start with a '/'} for a relative path
         */
        public Builder chdir(String directory) {
            directory = emptyToNull(directory);
            if (directory != null && !directory.startsWith("/")) {
                throw error("the chdir path '%s' must start with a '/'", directory);
            }
            this.chdir = directory == null ? null : Path.of(directory);
            return this;
        }

        /**
         * {@code rlimit_files}: the open files limit (RLIMIT_NOFILE) of child processes.
         *
         * @throws PoolConfigException when negative
         */
        public Builder rlimitFiles(long limit) {
            if (limit < 0) {
                throw notANumber("rlimit_files");
            }
            this.rlimitFiles = limit;
            return this;
        }

        /**
         * {@code rlimit_core}: the core file size limit (RLIMIT_CORE) of child processes, in FPM's syntax: a number
         * of bytes or {@code unlimited}.
         *
         * @throws PoolConfigException {@code must be greater than zero or 'unlimited'} otherwise
         */
        public Builder rlimitCore(String limit) {
            Objects.requireNonNull(limit, "limit");
            if (limit.equalsIgnoreCase("unlimited")) {
                this.rlimitCore = -1L;
                return this;
            }
            try {
                long value = Long.parseLong(limit.strip());
                if (value >= 0) {
                    this.rlimitCore = value;
                    return this;
                }
            } catch (NumberFormatException e) {
                // FPM's message below
            }
            throw error("unable to parse value for entry 'rlimit_core': must be greater than zero or 'unlimited'");
        }

        /**
         * {@code process.priority}: the nice value of child processes (lower runs first; below the host's own
         * value needs root).
         *
         * @throws PoolConfigException {@code process.priority must be included into [-19,20]} otherwise
         */
        public Builder processPriority(int priority) {
            if (priority < -19 || priority > 20) {
                throw error("process.priority must be included into [-19,20]");
            }
            this.processPriority = priority;
            return this;
        }

        /** {@code php_value[name] = value}: an INI setting for PHP children ({@code -d name=value}). */
        public Builder phpValue(String name, String value) {
            return php(name, value, false);
        }

        /** {@code php_admin_value[name] = value}: as {@link #phpValue}, which php-cgi cannot lock against ini_set(). */
        public Builder phpAdminValue(String name, String value) {
            return php(name, value, true);
        }

        /**
         * {@code php_flag[name] = on|off} (also yes/no, true/false, 1/0).
         *
         * @throws PoolConfigException {@code invalid boolean value} for another value
         */
        public Builder phpFlag(String name, String value) {
            return php(name, flag(name, value), false);
        }

        /** {@code php_admin_flag[name] = on|off}, see {@link #phpFlag}. */
        public Builder phpAdminFlag(String name, String value) {
            return php(name, flag(name, value), true);
        }

        private String flag(String name, String value) {
            String v = value == null ? "" : value.strip().toLowerCase(java.util.Locale.ROOT);
            return switch (v) {
                case "1", "on", "yes", "true" -> "1";
                case "0", "off", "no", "false", "" -> "0";
                default -> throw error("unable to parse value for entry '%s': invalid boolean value", name);
            };
        }

        private Builder php(String name, String value, boolean admin) {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(value, "value");
            PhpIniSetting setting;
            try {
                setting = new PhpIniSetting(name, value, admin);
            } catch (IllegalArgumentException e) {
                throw error("%s", e.getMessage());
            }
            PhpIniSetting earlier = phpSettings.get(name);
            if (earlier != null && earlier.admin() && !admin) {
                return this;                            // FPM: a php_admin_value is not overridden by php_value
            }
            phpSettings.remove(name);
            phpSettings.put(name, setting);
            return this;
        }

        /**
         * Validates the directives together, in FPM's order, and returns the immutable configuration.
         *
         * @throws PoolConfigException with FPM's message for the first rule broken
         */
        public PoolConfig build() {
            List<String> notices = new ArrayList<>();
            if (listen == null) {
                throw error("no listen address have been defined!");
            }
            if (pm == null) {
                throw error("the process manager is missing (static, dynamic or ondemand)");
            }
            if (maxChildren < 1) {
                throw error("pm.max_children must be a positive value");
            }
            int min = minSpareServers == null ? 0 : minSpareServers;
            int max = maxSpareServers == null ? 0 : maxSpareServers;
            int start = startServers == null ? 0 : startServers;
            int backlog = listenBacklog;
            if (pm == ProcessManager.DYNAMIC) {
                if (min <= 0) {
                    throw error("pm.min_spare_servers(%d) must be a positive value", min);
                }
                if (max <= 0) {
                    throw error("pm.max_spare_servers(%d) must be a positive value", max);
                }
                if (min > maxChildren || max > maxChildren) {
                    throw error("pm.min_spare_servers(%d) and pm.max_spare_servers(%d) cannot be greater than "
                            + "pm.max_children(%d)", min, max, maxChildren);
                }
                if (max < min) {
                    throw error("pm.max_spare_servers(%d) must not be less than pm.min_spare_servers(%d)", max, min);
                }
                if (start <= 0) {
                    start = min + (max - min) / 2;
                    notices.add(error("pm.start_servers is not set. It's been set to %d.", start).getMessage());
                } else if (start < min || start > max) {
                    throw error("pm.start_servers(%d) must not be less than pm.min_spare_servers(%d) and not greater "
                            + "than pm.max_spare_servers(%d)", start, min, max);
                }
                if (maxSpawnRate < 1) {
                    throw error("pm.max_spawn_rate must be a positive value");
                }
            } else if (pm == ProcessManager.ONDEMAND) {
                if (processIdleTimeout.isNegative() || processIdleTimeout.isZero()) {
                    throw error("pm.process_idle_timeout(%ss) must be greater than 0s", seconds(processIdleTimeout));
                }
                if (backlog < DEFAULT_LISTEN_BACKLOG) {
                    notices.add(error("listen.backlog(%d) was too low for the ondemand process manager. I updated it "
                            + "for you to %d.", backlog, DEFAULT_LISTEN_BACKLOG).getMessage());
                    backlog = DEFAULT_LISTEN_BACKLOG;               // FPM only says so; we do it
                }
                start = 0;
                min = 0;
                max = 0;
            }
            String status = statusPath;
            if (status == null && statusListen != null) {
                status = "/";                                        // FPM 8.0+: the status listener answers on "/"
            }
            if (status != null && statusListen == null && status.length() < 2) {
                throw error("the status path '%s' is not long enough", status);
            }
            String pong = null;
            if (pingPath != null) {
                pong = pingResponse == null ? DEFAULT_PING_RESPONSE : pingResponse;
                if (pong.isEmpty()) {
                    throw error("the ping response page '%s' is not long enough", pong);
                }
            }
            if (!requestSlowlogTimeout.isZero()) {
                if (slowlog == null) {
                    throw error("'slowlog' must be specified for use with 'request_slowlog_timeout'");
                }
                if (!requestTerminateTimeout.isZero() && requestSlowlogTimeout.compareTo(requestTerminateTimeout) > 0) {
                    throw error("'request_slowlog_timeout' (%s) can't be greater than 'request_terminate_timeout' (%s)",
                            seconds(requestSlowlogTimeout), seconds(requestTerminateTimeout));
                }
            }
            if (requestSlowlogTraceDepth != null && slowlog == null) {
                throw error("'slowlog' must be specified for use with 'request_slowlog_trace_depth'");
            }
            if (chdir != null && !java.nio.file.Files.isDirectory(chdir)) {
                throw error("the chdir path '%s' does not exist or is not a directory", chdir);
            }
            return new PoolConfig(this, start, min, max, backlog, status, pong, notices);
        }
    }
}
