package dev.fcgi.protocol.client;

/**
 * Whether an {@link FcgiClient} runs several requests at once on one connection.
 *
 * @see <a href="https://fastcgi-archives.github.io/FastCGI_Specification.html#S4.1">FastCGI 1.0, section 4.1
 *      (FCGI_MPXS_CONNS)</a>
 */
public enum Multiplexing {
    /**
     * Ask the application, once, before the first request: a GET_VALUES query for {@code FCGI_MPXS_CONNS},
     * {@code FCGI_MAX_REQS} and {@code FCGI_MAX_CONNS} on a dedicated connection that the client then closes
     * (php-fpm closes a connection after answering GET_VALUES, php-src#12387, so the query never runs on a pooled
     * connection). Multiplex when the answer is {@code FCGI_MPXS_CONNS=1}; when the query fails or times out,
     * do not.
     */
    AUTO,
    /** Multiplex without asking, up to {@link FcgiClient.Builder#maxRequestsPerConnection(int)} per connection. */
    ON,
    /** One request at a time per connection, always with request id 1 (as nginx does). */
    OFF
}
