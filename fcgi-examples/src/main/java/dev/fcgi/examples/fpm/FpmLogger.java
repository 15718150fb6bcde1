package dev.fcgi.examples.fpm;

import dev.fcgi.pool.config.FpmGlobalConfig.LogLevel;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;

/** An SLF4J logger that writes to {@link FpmLog}, in FPM's levels and format. */
final class FpmLogger extends LegacyAbstractLogger {

    FpmLogger(String name) {
        this.name = name;
    }

    private static LogLevel fpm(Level level) {
        return switch (level) {
            case TRACE, DEBUG -> LogLevel.DEBUG;
            case INFO -> LogLevel.NOTICE;
            case WARN -> LogLevel.WARNING;
            case ERROR -> LogLevel.ERROR;
        };
    }

    @Override
    protected String getFullyQualifiedCallerName() {
        return null;
    }

    @Override
    protected void handleNormalizedLoggingCall(Level level, Marker marker, String messagePattern, Object[] arguments,
                                               Throwable throwable) {
        FpmLog.write(fpm(level), MessageFormatter.basicArrayFormat(messagePattern, arguments), throwable);
    }

    @Override
    public boolean isTraceEnabled() {
        return FpmLog.enabled(LogLevel.DEBUG);
    }

    @Override
    public boolean isDebugEnabled() {
        return FpmLog.enabled(LogLevel.DEBUG);
    }

    @Override
    public boolean isInfoEnabled() {
        return FpmLog.enabled(LogLevel.NOTICE);
    }

    @Override
    public boolean isWarnEnabled() {
        return FpmLog.enabled(LogLevel.WARNING);
    }

    @Override
    public boolean isErrorEnabled() {
        return FpmLog.enabled(LogLevel.ERROR);
    }
}
