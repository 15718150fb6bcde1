package dev.fcgi.examples.fpm;

import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;

/** An SLF4J logger that writes to {@link FpmLog}, in FPM's levels and format. */
final class FpmLogger extends LegacyAbstractLogger {

    FpmLogger(String name) {
        this.name = name;
    }

    private static FpmLog.Level fpm(Level level) {
        return switch (level) {
            case TRACE, DEBUG -> FpmLog.Level.DEBUG;
            case INFO -> FpmLog.Level.NOTICE;
            case WARN -> FpmLog.Level.WARNING;
            case ERROR -> FpmLog.Level.ERROR;
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
        return FpmLog.enabled(FpmLog.Level.DEBUG);
    }

    @Override
    public boolean isDebugEnabled() {
        return FpmLog.enabled(FpmLog.Level.DEBUG);
    }

    @Override
    public boolean isInfoEnabled() {
        return FpmLog.enabled(FpmLog.Level.NOTICE);
    }

    @Override
    public boolean isWarnEnabled() {
        return FpmLog.enabled(FpmLog.Level.WARNING);
    }

    @Override
    public boolean isErrorEnabled() {
        return FpmLog.enabled(FpmLog.Level.ERROR);
    }
}
