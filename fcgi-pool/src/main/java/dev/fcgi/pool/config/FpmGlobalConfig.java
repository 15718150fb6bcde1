package dev.fcgi.pool.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * The {@code [global]} section of php-fpm.conf, typed, with FPM's defaults. Relative paths are already resolved
 * against the prefix. Every directive is kept, also those a JVM cannot apply ({@code process.priority},
 * {@code rlimit_files}, {@code rlimit_core}, {@code events.mechanism}); setting one of those adds a notice to
 * {@link FpmConfig#notices()}.
 *
 * @param pid                       {@code pid}: the PID file, or {@code null} (unset: none)
 * @param errorLog                  {@code error_log}: a file path, {@code syslog}, or {@code null} (unset; FPM's
 *                                  default is {@code log/php-fpm.log} under its prefix, the daemon chooses)
 * @param syslogIdent               {@code syslog.ident}, default {@code php-fpm}
 * @param syslogFacility            {@code syslog.facility}, lower case, default {@code daemon}
 * @param logLevel                  {@code log_level}, default {@link LogLevel#NOTICE}
 * @param logLimit                  {@code log_limit}: the longest log line, default 1024, at least 512
 * @param logBuffering              {@code log_buffering}, default true
 * @param emergencyRestartThreshold {@code emergency_restart_threshold}, default 0 (off)
 * @param emergencyRestartInterval  {@code emergency_restart_interval}, default 0 (off)
 * @param processControlTimeout     {@code process_control_timeout}: how long children get to stop, default 0
 * @param processMax                {@code process.max}: the most workers of all pools together, 0 (the default)
 *                                  for no limit
 * @param processPriority           {@code process.priority} of the master, or {@code null} (unset); not applied
 * @param daemonize                 {@code daemonize}, default true
 * @param rlimitFiles               {@code rlimit_files} of the master, or {@code null}; not applied
 * @param rlimitCore                {@code rlimit_core} of the master, -1 for unlimited, or {@code null}; not applied
 * @param eventsMechanism           {@code events.mechanism}, or {@code null} (unset: automatic); not applied
 * @param systemdInterval           {@code systemd_interval}: the sd_notify status interval, default 10 s, 0 off
 */
public record FpmGlobalConfig(Path pid, String errorLog, String syslogIdent, String syslogFacility,
                              LogLevel logLevel, int logLimit, boolean logBuffering, int emergencyRestartThreshold,
                              Duration emergencyRestartInterval, Duration processControlTimeout, int processMax,
                              Integer processPriority, boolean daemonize, Long rlimitFiles, Long rlimitCore,
                              String eventsMechanism, Duration systemdInterval) {

    /** Default {@code log_limit}. */
    public static final int DEFAULT_LOG_LIMIT = 1024;
    /** The lowest {@code log_limit} FPM takes. */
    public static final int MIN_LOG_LIMIT = 512;
    /** Default {@code systemd_interval}. */
    public static final Duration DEFAULT_SYSTEMD_INTERVAL = Duration.ofSeconds(10);

    /** FPM's {@code log_level} values, in increasing severity. */
    public enum LogLevel {
        /** {@code debug} */
        DEBUG,
        /** {@code notice} (the default) */
        NOTICE,
        /** {@code warning} (also {@code warn}) */
        WARNING,
        /** {@code error} */
        ERROR,
        /** {@code alert} */
        ALERT;

        /** The name as php-fpm.conf writes it. */
        public String fpmName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The configuration of an empty {@code [global]} section: FPM's defaults. */
    public static FpmGlobalConfig defaults() {
        return new FpmGlobalConfig(null, null, "php-fpm", "daemon", LogLevel.NOTICE, DEFAULT_LOG_LIMIT, true, 0,
                Duration.ZERO, Duration.ZERO, 0, null, true, null, null, null, DEFAULT_SYSTEMD_INTERVAL);
    }

    /** Whether {@code error_log = syslog}. */
    public boolean errorLogToSyslog() {
        return "syslog".equalsIgnoreCase(errorLog);
    }

    /** The directives in php-fpm.conf form, one per line, like {@code php-fpm -tt}. */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("[global]\n");
        line(s, "pid", pid);
        line(s, "error_log", errorLog);
        line(s, "syslog.ident", syslogIdent);
        line(s, "syslog.facility", syslogFacility);
        line(s, "log_buffering", logBuffering ? "yes" : "no");
        line(s, "log_level", logLevel.fpmName());
        line(s, "log_limit", logLimit);
        line(s, "emergency_restart_interval", emergencyRestartInterval.toSeconds() + "s");
        line(s, "emergency_restart_threshold", emergencyRestartThreshold);
        line(s, "process_control_timeout", processControlTimeout.toSeconds() + "s");
        line(s, "process.max", processMax);
        line(s, "process.priority", processPriority);
        line(s, "daemonize", daemonize ? "yes" : "no");
        line(s, "rlimit_files", rlimitFiles);
        line(s, "rlimit_core", rlimitCore == null ? null : rlimitCore < 0 ? "unlimited" : rlimitCore);
        line(s, "events.mechanism", eventsMechanism);
        line(s, "systemd_interval", systemdInterval.toSeconds() + "s");
        return s.toString();
    }

    private static void line(StringBuilder s, String directive, Object value) {
        s.append('\t').append(directive).append(" = ").append(value == null ? "undefined" : value).append('\n');
    }
}
