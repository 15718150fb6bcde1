package dev.fcgi.pool.config;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;

/**
 * php-fpm's value parsers ({@code fpm_conf_set_*}), applied to a value after INI scanning. Each failure carries
 * FPM's text, which the reader puts after {@code unable to parse value for entry '%s': }.
 */
final class FpmValues {

    /** FPM's integer parser message (it accepts a leading '-' anyway). */
    static final String NOT_A_NUMBER = "is not a valid number (greater or equal than zero)";

    private static final Set<String> FACILITIES = Set.of("auth", "authpriv", "cron", "daemon", "ftp", "kern", "lpr",
            "mail", "news", "syslog", "user", "uucp", "local0", "local1", "local2", "local3", "local4", "local5",
            "local6", "local7");

    private FpmValues() {
    }

    /** A value FPM's parser refuses; the message is FPM's text. */
    static final class BadValue extends Exception {
        private static final long serialVersionUID = 1L;

        BadValue(String message) {
            super(message);
        }
    }

    /** FPM's integer: an optional '-' then digits; empty is 0 ({@code atoi("")}). */
    static int integer(String value) throws BadValue {
        if (value.isEmpty()) {
            return 0;
        }
        if (!value.matches("-?[0-9]+")) {
            throw new BadValue(NOT_A_NUMBER);
        }
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException tooLong) {
            throw new BadValue(NOT_A_NUMBER);
        }
    }

    /**
     * FPM's time: a number of seconds, or a number with the suffix {@code s}, {@code m}, {@code h} or {@code d}.
     * Unlike FPM, which takes the whole part ({@code atoi}), a decimal number keeps its fraction ({@code 1.5s}),
     * and a number that is not one (FPM reads {@code 500ms} as 500 seconds) is refused.
     */
    static Duration time(String value) throws BadValue {
        if (value.isEmpty()) {
            throw new BadValue("invalid time value");
        }
        char suffix = value.charAt(value.length() - 1);
        long unit;
        String number = value.substring(0, value.length() - 1);
        switch (suffix) {
            case 's' -> unit = 1;
            case 'm' -> unit = 60;
            case 'h' -> unit = 3600;
            case 'd' -> unit = 86400;
            default -> {
                if (suffix < '0' || suffix > '9') {
                    throw new BadValue("unknown suffix used in time value");
                }
                unit = 1;
                number = value;
            }
        }
        if (!number.matches("-?[0-9]+(\\.[0-9]+)?")) {
            throw new BadValue(number.isEmpty() || Character.isDigit(number.charAt(number.length() - 1))
                    ? NOT_A_NUMBER : "unknown suffix used in time value");
        }
        try {
            BigDecimal seconds = new BigDecimal(number).multiply(BigDecimal.valueOf(unit));
            BigDecimal nanos = seconds.movePointRight(9).setScale(0, java.math.RoundingMode.HALF_UP);
            return Duration.ofNanos(nanos.longValueExact());
        } catch (ArithmeticException tooLong) {
            throw new BadValue(NOT_A_NUMBER);
        }
    }

    /**
     * FPM's boolean, after INI scanning turned a bare yes/on/true into "1" and no/off/false/none/null into "": also
     * the same words quoted (any case), and "0".
     */
    static boolean bool(String value) throws BadValue {
        switch (value.toLowerCase(Locale.ROOT)) {
            case "1", "yes", "on", "true" -> {
                return true;
            }
            case "", "0", "no", "off", "false", "none" -> {
                return false;
            }
            default -> throw new BadValue("invalid boolean value");
        }
    }

    /** FPM's rlimit_core: {@code unlimited} (any case) is -1, else an integer of at least 0. */
    static long rlimitCore(String value) throws BadValue {
        if (value.equalsIgnoreCase("unlimited")) {
            return -1;
        }
        int limit = integer(value);
        if (limit < 0) {
            throw new BadValue("must be greater than zero or 'unlimited'");
        }
        return limit;
    }

    /** FPM's log_level: debug, notice, warning (or warn), error, alert, in any case. */
    static FpmGlobalConfig.LogLevel logLevel(String value) throws BadValue {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "debug" -> FpmGlobalConfig.LogLevel.DEBUG;
            case "notice" -> FpmGlobalConfig.LogLevel.NOTICE;
            case "warning", "warn" -> FpmGlobalConfig.LogLevel.WARNING;
            case "error" -> FpmGlobalConfig.LogLevel.ERROR;
            case "alert" -> FpmGlobalConfig.LogLevel.ALERT;
            default -> throw new BadValue("invalid value for 'log_level'");
        };
    }

    /** FPM's syslog.facility, lower-cased: AUTH, AUTHPRIV, CRON, DAEMON, ... LOCAL0 to LOCAL7, in any case. */
    static String syslogFacility(String value) throws BadValue {
        String lower = value.toLowerCase(Locale.ROOT);
        if (!FACILITIES.contains(lower)) {
            throw new BadValue("invalid value");
        }
        return lower;
    }

    /**
     * FPM's {@code fpm_conf_expand_pool_name}: every {@code $pool} becomes {@code pool}.
     *
     * @param pool the pool name, or {@code null} in the global section, where {@code $pool} is an error
     */
    static String expandPool(String value, String pool) throws BadValue {
        if (!value.contains("$pool")) {
            return value;
        }
        if (pool == null) {
            throw new BadValue("Can't use '$pool' when the pool is not defined");
        }
        return value.replace("$pool", pool);
    }
}
