package dev.fcgi.pool.config;

import dev.fcgi.protocol.server.FcgiHandler;
import dev.fcgi.protocol.server.FcgiRequest;
import dev.fcgi.protocol.server.FcgiResponse;

/** Handler classes a configuration cannot use, one per reason. */
final class BadHandlers {

    private BadHandlers() {
    }

    /** Not an FcgiHandler. */
    public static class NotAHandler {
        public NotAHandler() {
        }
    }

    /** No public no-argument constructor. */
    public static class NeedsArgument implements FcgiHandler {
        public NeedsArgument(String argument) {
        }

        @Override
        public void handle(FcgiRequest request, FcgiResponse response) {
        }
    }

    /** Abstract. */
    public abstract static class Abstract implements FcgiHandler {
        public Abstract() {
        }
    }

    /** Not public. */
    static class Hidden implements FcgiHandler {
        @Override
        public void handle(FcgiRequest request, FcgiResponse response) {
        }
    }

    /** Its constructor throws: found only when a worker starts. */
    public static class FailsToStart implements FcgiHandler {
        public FailsToStart() {
            throw new IllegalStateException("no database");
        }

        @Override
        public void handle(FcgiRequest request, FcgiResponse response) {
        }
    }
}
