package dev.fcgi.pool.config;

import dev.fcgi.pool.ProcessManager;

/**
 * The pool directives of php-fpm.conf ({@code ini_fpm_pool_options} in FPM's {@code fpm_conf.c}), each with FPM's
 * parser and the {@link dev.fcgi.pool.PoolConfig.Builder} method it sets, plus our {@code handler} and
 * {@code command}. The {@code key[...]} directives ({@code env}, {@code php_value}...) are read by
 * {@link FpmConfigReader}. Directives FPM has and we do not apply are parsed with FPM's parser and reported.
 */
final class PoolDirectives {

    /** Our key: the class of the in-JVM handler. */
    static final String HANDLER = "handler";
    /** Our key: the program (and arguments) of a pool of child processes. */
    static final String COMMAND = "command";

    static final DirectiveTable<PoolSection> TABLE = new DirectiveTable<PoolSection>()
            .add("prefix", (p, v, at) -> p.prefix(v, at))
            .add("user", (p, v, at) -> {
                p.builder.user(p.string(v));
                p.childOnly("user");
            })
            .add("group", (p, v, at) -> {
                p.builder.group(p.string(v));
                p.childOnly("group");
            })
            .add("listen", (p, v, at) -> p.listen(v, at))
            .add("listen.backlog", (p, v, at) -> p.builder.listenBacklog(FpmValues.integer(v)))
            .add("listen.acl_users", (p, v, at) -> unsupportedString(p, "listen.acl_users", v, at,
                    "POSIX ACLs on the socket file; use listen.group with listen.mode = 0660"))
            .add("listen.acl_groups", (p, v, at) -> unsupportedString(p, "listen.acl_groups", v, at,
                    "POSIX ACLs on the socket file; use listen.group with listen.mode = 0660"))
            .add("listen.owner", (p, v, at) -> p.builder.listenOwner(p.string(v)))
            .add("listen.group", (p, v, at) -> p.builder.listenGroup(p.string(v)))
            .add("listen.mode", (p, v, at) -> p.builder.listenMode(p.string(v)))
            .add("listen.allowed_clients", (p, v, at) -> p.builder.listenAllowedClients(p.string(v)))
            .add("listen.setfib", (p, v, at) -> {
                FpmValues.integer(v);
                p.unsupported("listen.setfib", "a FreeBSD routing table", at);
            })
            .add("process.priority", (p, v, at) -> {
                p.builder.processPriority(FpmValues.integer(v));
                p.childOnly("process.priority");
            })
            .add("process.dumpable", (p, v, at) -> {
                FpmValues.bool(v);
                p.unsupported("process.dumpable", "PR_SET_DUMPABLE has no command-line tool", at);
            })
            .add("pm", (p, v, at) -> p.builder.pm(pm(v)))
            .add("pm.max_children", (p, v, at) -> p.builder.maxChildren(FpmValues.integer(v)))
            .add("pm.start_servers", (p, v, at) -> p.builder.startServers(FpmValues.integer(v)))
            .add("pm.min_spare_servers", (p, v, at) -> p.builder.minSpareServers(FpmValues.integer(v)))
            .add("pm.max_spare_servers", (p, v, at) -> p.builder.maxSpareServers(FpmValues.integer(v)))
            .add("pm.max_spawn_rate", (p, v, at) -> p.builder.maxSpawnRate(FpmValues.integer(v)))
            .add("pm.process_idle_timeout", (p, v, at) -> p.builder.processIdleTimeout(FpmValues.time(v)))
            .add("pm.max_requests", (p, v, at) -> p.builder.maxRequests(FpmValues.integer(v)))
            .add("pm.status_path", (p, v, at) -> p.builder.statusPath(p.string(v)))
            .add("pm.status_listen", (p, v, at) -> p.statusListen(v, at))
            .add("ping.path", (p, v, at) -> p.builder.pingPath(p.string(v)))
            .add("ping.response", (p, v, at) -> p.builder.pingResponse(p.string(v)))
            .add("access.log", (p, v, at) -> p.accessLog(v, at))
            .add("access.format", (p, v, at) -> p.accessFormat(v, at))
            .add("slowlog", (p, v, at) -> p.slowlog(v, at))
            .add("request_slowlog_timeout", (p, v, at) -> p.builder.requestSlowlogTimeout(FpmValues.time(v)))
            .add("request_slowlog_trace_depth",
                    (p, v, at) -> p.builder.requestSlowlogTraceDepth(FpmValues.integer(v)))
            .add("request_terminate_timeout", (p, v, at) -> p.builder.requestTerminateTimeout(FpmValues.time(v)))
            .add("request_terminate_timeout_track_finished",
                    (p, v, at) -> p.builder.requestTerminateTimeoutTrackFinished(FpmValues.bool(v)))
            .add("rlimit_files", (p, v, at) -> {
                p.builder.rlimitFiles(FpmValues.integer(v));
                p.childOnly("rlimit_files");
            })
            .add("rlimit_core", (p, v, at) -> {
                long core = FpmValues.rlimitCore(v);
                p.builder.rlimitCore(core < 0 ? "unlimited" : Long.toString(core));
                p.childOnly("rlimit_core");
            })
            .add("chroot", (p, v, at) -> unsupportedString(p, "chroot", v, at,
                    "the pool's socket and php-cgi would have to be inside the jail"))
            .add("chdir", (p, v, at) -> p.chdir(v, at))
            .add("catch_workers_output", (p, v, at) -> {
                p.builder.catchWorkersOutput(FpmValues.bool(v));
                p.childOnly("catch_workers_output");
            })
            .add("decorate_workers_output", (p, v, at) -> {
                p.builder.decorateWorkersOutput(FpmValues.bool(v));
                p.childOnly("decorate_workers_output");
            })
            .add("clear_env", (p, v, at) -> {
                p.builder.clearEnv(FpmValues.bool(v));
                p.childOnly("clear_env");
            })
            .add("security.limit_extensions", (p, v, at) -> p.builder.securityLimitExtensions(p.string(v)))
            .add("apparmor_hat", (p, v, at) -> unsupportedString(p, "apparmor_hat", v, at,
                    "AppArmor's change_hat needs libapparmor"))
            .add(HANDLER, (p, v, at) -> p.handler(v, at))
            .add(COMMAND, (p, v, at) -> p.command(v, at));

    private PoolDirectives() {
    }

    private static void unsupportedString(PoolSection p, String directive, String value, Location where, String why)
            throws FpmValues.BadValue {
        p.string(value);
        p.unsupported(directive, why, where);
    }

    private static ProcessManager pm(String value) throws FpmValues.BadValue {
        try {
            return ProcessManager.parse(value);
        } catch (IllegalArgumentException e) {
            throw new FpmValues.BadValue(e.getMessage());
        }
    }
}
