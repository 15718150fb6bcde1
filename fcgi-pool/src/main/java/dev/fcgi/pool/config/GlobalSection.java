package dev.fcgi.pool.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The {@code [global]} section while the files are read, with its directive table ({@code ini_fpm_global_options}
 * in FPM's {@code fpm_conf.c}) and FPM's checks ({@code fpm_conf_post_process}). Directives a JVM cannot apply are
 * kept and reported.
 */
final class GlobalSection {

    static final DirectiveTable<GlobalSection> TABLE = new DirectiveTable<GlobalSection>()
            .add("pid", (g, v, at) -> g.pid = string(v))
            .add("error_log", (g, v, at) -> g.errorLog = string(v))
            .add("syslog.ident", (g, v, at) -> g.syslogIdent = string(v))
            .add("syslog.facility", (g, v, at) -> g.syslogFacility = FpmValues.syslogFacility(v))
            .add("log_buffering", (g, v, at) -> g.logBuffering = FpmValues.bool(v))
            .add("log_level", (g, v, at) -> g.logLevel = FpmValues.logLevel(v))
            .add("log_limit", (g, v, at) -> {
                int limit = FpmValues.integer(v);
                if (limit < FpmGlobalConfig.MIN_LOG_LIMIT) {
                    throw new FpmConfigException(at, "log_limit must be greater than " + FpmGlobalConfig.MIN_LOG_LIMIT);
                }
                g.logLimit = limit;
            })
            .add("emergency_restart_threshold", (g, v, at) -> g.emergencyRestartThreshold = natural(v))
            .add("emergency_restart_interval", (g, v, at) -> g.emergencyRestartInterval = positiveTime(v))
            .add("process_control_timeout", (g, v, at) -> g.processControlTimeout = positiveTime(v))
            .add("process.max", (g, v, at) -> {
                int max = FpmValues.integer(v);
                if (max < 0) {
                    throw new FpmConfigException(at, "process_max can't be negative");
                }
                g.processMax = max;
            })
            .add("process.priority", (g, v, at) -> {
                int priority = FpmValues.integer(v);
                if (priority < -19 || priority > 20) {
                    throw new FpmConfigException(at, "process.priority must be included into [-19,20]");
                }
                g.processPriority = priority;
                g.notApplied(at, "process.priority", "the JVM cannot renice itself: start it with nice, or"
                        + " systemd's Nice=");
            })
            .add("daemonize", (g, v, at) -> g.daemonize = FpmValues.bool(v))
            .add("rlimit_files", (g, v, at) -> {
                g.rlimitFiles = (long) natural(v);
                g.notApplied(at, "rlimit_files", "the JVM cannot raise its own limits: use ulimit -n, or systemd's"
                        + " LimitNOFILE= (a pool's rlimit_files applies to its child processes)");
            })
            .add("rlimit_core", (g, v, at) -> {
                g.rlimitCore = FpmValues.rlimitCore(v);
                g.notApplied(at, "rlimit_core", "the JVM cannot raise its own limits: use ulimit -c, or systemd's"
                        + " LimitCORE= (a pool's rlimit_core applies to its child processes)");
            })
            .add("events.mechanism", (g, v, at) -> {
                g.eventsMechanism = string(v);
                g.notApplied(at, "events.mechanism", "Netty chooses its transport (epoll on Linux)");
            })
            .add("systemd_interval", (g, v, at) -> g.systemdInterval = positiveTime(v));

    private final List<String> notices;
    private String pid;
    private String errorLog;
    private String syslogIdent = "php-fpm";
    private String syslogFacility = "daemon";
    private FpmGlobalConfig.LogLevel logLevel = FpmGlobalConfig.LogLevel.NOTICE;
    private int logLimit = FpmGlobalConfig.DEFAULT_LOG_LIMIT;
    private boolean logBuffering = true;
    private int emergencyRestartThreshold;
    private Duration emergencyRestartInterval = Duration.ZERO;
    private Duration processControlTimeout = Duration.ZERO;
    private int processMax;
    private Integer processPriority;
    private boolean daemonize = true;
    private Long rlimitFiles;
    private Long rlimitCore;
    private String eventsMechanism;
    private Duration systemdInterval = FpmGlobalConfig.DEFAULT_SYSTEMD_INTERVAL;

    /** @param notices where the notices of directives the JVM cannot apply go */
    GlobalSection(List<String> notices) {
        this.notices = notices;
    }

    private void notApplied(Location where, String directive, String why) {
        notices.add(where + " " + directive + " is kept but not applied: " + why);
    }

    /** FPM's string in the global section: {@code $pool} is an error there. */
    private static String string(String value) throws FpmValues.BadValue {
        return FpmValues.expandPool(value, null);
    }

    private static int natural(String value) throws FpmValues.BadValue {
        int n = FpmValues.integer(value);
        if (n < 0) {
            throw new FpmValues.BadValue(FpmValues.NOT_A_NUMBER);
        }
        return n;
    }

    private static Duration positiveTime(String value) throws FpmValues.BadValue {
        Duration d = FpmValues.time(value);
        if (d.isNegative()) {
            throw new FpmValues.BadValue(FpmValues.NOT_A_NUMBER);
        }
        return d;
    }

    /** The typed section; {@code pid} and a file {@code error_log} resolved against {@code prefix}. */
    FpmGlobalConfig build(Path prefix) {
        Path pidFile = pid == null || pid.isEmpty() ? null : prefix.resolve(pid);
        String log = errorLog == null || errorLog.isEmpty() ? null
                : errorLog.equalsIgnoreCase("syslog") ? "syslog" : prefix.resolve(errorLog).toString();
        return new FpmGlobalConfig(pidFile, log, syslogIdent, syslogFacility, logLevel, logLimit, logBuffering,
                emergencyRestartThreshold, emergencyRestartInterval, processControlTimeout, processMax,
                processPriority, daemonize, rlimitFiles, rlimitCore, eventsMechanism, systemdInterval);
    }
}
