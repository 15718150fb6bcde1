package dev.fcgi.protocol.server;

import dev.fcgi.protocol.FcgiRole;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * The settings a connection handler needs, fixed when the server starts. See {@link FcgiServer.Builder} for the
 * meaning and default of each.
 */
record ServerConfig(
        FcgiHandler handler,
        FcgiDispatcher dispatcher,
        boolean handlerOnEventLoop,
        boolean fullDuplex,
        Set<FcgiRole> roles,
        int maxConnections,
        int maxRequestsPerConnection,
        int maxConcurrentRequests,
        int maxParamsLength,
        int maxParams,
        long maxRequestBodyLength,
        int bodySpoolThreshold,
        Path spoolDirectory,
        Duration headerTimeout,
        Duration bodyReadTimeout,
        Duration writeTimeout,
        Duration idleTimeout,
        Duration lingerTimeout,
        Duration requestTerminateTimeout,
        int responseBufferSize,
        long eventLoopWriteLimit,
        List<AllowedClient> allowedClients) {

    /** The requests one connection may really have in progress: the smaller of the two limits. */
    int requestsPerConnection() {
        return Math.min(maxRequestsPerConnection, maxConcurrentRequests);
    }
}
