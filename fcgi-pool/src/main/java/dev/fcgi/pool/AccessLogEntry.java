package dev.fcgi.pool;

import dev.fcgi.protocol.FcgiParameters;

import java.net.SocketAddress;
import java.time.Instant;
import java.util.Objects;
import java.util.function.Function;

/**
 * What one access log line is made of: the values FPM's {@code fpm_log_write()} reads from the scoreboard, measured
 * by the pool around the handler call on the worker thread.
 *
 * @param pool            the pool's name ({@code %n})
 * @param workerId        the worker's id ({@code %p}); 0 or less when no worker ran the request (status and ping
 *                        pages), written as {@code -}
 * @param request         the request as the scoreboard sees it ({@code %m %r %q %Q %f %l %u})
 * @param params          the request's CGI variables ({@code %{NAME}e})
 * @param peer            the web server's end of the connection ({@code %R}), or {@code null}
 * @param status          the HTTP status ({@code %s})
 * @param responseHeaders the response header of a name (any case), or {@code null} when absent ({@code %{Name}o})
 * @param acceptTime      when the request was accepted ({@code %t})
 * @param durationNanos   wall time from accept to the handler's end ({@code %d})
 * @param cpuUserNanos    user CPU time the worker thread spent on the request ({@code %C})
 * @param cpuSystemNanos  system CPU time the worker thread spent on the request ({@code %C})
 * @param allocatedBytes  bytes the worker thread allocated during the request ({@code %M}), 0 when unknown
 * @param logTime         when the line is written ({@code %T})
 */
public record AccessLogEntry(String pool, long workerId, RequestInfo request, FcgiParameters params,
                             SocketAddress peer, int status, Function<String, String> responseHeaders,
                             Instant acceptTime, long durationNanos, long cpuUserNanos, long cpuSystemNanos,
                             long allocatedBytes, Instant logTime) {

    /** Replaces missing parts with empty ones. */
    public AccessLogEntry {
        Objects.requireNonNull(pool, "pool");
        request = request == null ? new RequestInfo(null, null, "", 0, null, null) : request;
        params = params == null ? new FcgiParameters() : params;
        responseHeaders = responseHeaders == null ? name -> null : responseHeaders;
        acceptTime = acceptTime == null ? Instant.EPOCH : acceptTime;
        logTime = logTime == null ? acceptTime : logTime;
        durationNanos = Math.max(0, durationNanos);
        cpuUserNanos = Math.max(0, cpuUserNanos);
        cpuSystemNanos = Math.max(0, cpuSystemNanos);
        allocatedBytes = Math.max(0, allocatedBytes);
    }
}
