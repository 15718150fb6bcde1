package dev.fcgi.protocol.client;

import dev.fcgi.protocol.FcgiParameters;
import dev.fcgi.protocol.FcgiRole;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * A request for {@link FcgiClient#send(FcgiClientRequest)}: a role, the CGI variables sent as PARAMS, the body
 * sent as STDIN and, for {@link FcgiRole#FILTER}, the file sent as DATA. Immutable once built; a request whose body
 * is an {@link InputStream} can be sent only once, since the stream is consumed (and closed) by sending it.
 *
 * <p>When the body's length is known (bytes, file, or a stream with a stated length) and no {@code CONTENT_LENGTH}
 * variable was given, {@link Builder#build()} adds one, since PHP reads exactly {@code CONTENT_LENGTH} bytes of
 * STDIN; likewise {@code FCGI_DATA_LENGTH} for a FILTER's data.
 *
 * <pre>{@code
 * FcgiClientRequest request = FcgiClientRequest.builder()
 *         .cgi("POST", "/srv/www/upload.php", "id=7")
 *         .param("CONTENT_TYPE", "application/json")
 *         .body("{\"a\":1}".getBytes(StandardCharsets.UTF_8))
 *         .build();
 * }</pre>
 *
 * @see <a href="https://fastcgi-archives.github.io/FastCGI_Specification.html#S6">FastCGI 1.0, section 6</a>
 */
public final class FcgiClientRequest {

    private final FcgiRole role;
    private final FcgiParameters params;
    private final RequestBody body;
    private final RequestBody data;
    private final Duration timeout;

    private FcgiClientRequest(Builder builder) {
        role = builder.role;
        params = copy(builder.params);
        body = builder.body;
        data = builder.data;
        timeout = builder.timeout;
    }

    /** A new builder: role RESPONDER, no variables, empty body. */
    public static Builder builder() {
        return new Builder();
    }

    /** A GET request for {@code scriptFilename} with the standard CGI variables (see {@link Builder#cgi}). */
    public static FcgiClientRequest get(String scriptFilename, String queryString) {
        return builder().cgi("GET", scriptFilename, queryString).build();
    }

    /** A POST request for {@code scriptFilename} with the given body, {@code CONTENT_TYPE} and CONTENT_LENGTH. */
    public static FcgiClientRequest post(String scriptFilename, String contentType, byte[] body) {
        return builder().cgi("POST", scriptFilename, "").param("CONTENT_TYPE", contentType).body(body).build();
    }

    /** The role asked for in BEGIN_REQUEST. */
    public FcgiRole role() {
        return role;
    }

    /** A copy of the CGI variables, in the order they are sent. */
    public FcgiParameters params() {
        return copy(params);
    }

    /** The body's length in bytes, or -1 when the body is a stream of unknown length. */
    public long bodyLength() {
        return body.length();
    }

    /** The DATA stream's length in bytes (0 unless the role is FILTER), or -1 when not known. */
    public long dataLength() {
        return data.length();
    }

    /**
     * Whether the request can be sent again: true unless its body or data is an {@link InputStream}. Only such
     * requests are retried after FCGI_OVERLOADED, FCGI_CANT_MPX_CONN or a reused connection closed under them.
     */
    public boolean isReplayable() {
        return body.replayable() && data.replayable();
    }

    /** This request's own time limit, or null to use the client's {@code requestTimeout}. */
    public Duration timeout() {
        return timeout;
    }

    /** Closes the caller's streams, when the request failed before sending them. */
    void closeStreams() {
        for (RequestBody stream : new RequestBody[] {body, data}) {
            if (stream instanceof RequestBody.Stream s) {
                try {
                    s.stream().close();
                } catch (java.io.IOException | RuntimeException ignored) {
                    // nothing more to do with it
                }
            }
        }
    }

    FcgiParameters paramsUnsafe() {
        return params;
    }

    RequestBody body() {
        return body;
    }

    RequestBody data() {
        return data;
    }

    @Override
    public String toString() {
        return "FcgiClientRequest(" + role + ", " + params.size() + " params, body "
                + (body.length() < 0 ? "stream" : body.length() + " bytes") + ')';
    }

    private static FcgiParameters copy(FcgiParameters source) {
        FcgiParameters copy = new FcgiParameters(source.size());
        for (int i = 0; i < source.size(); i++) {
            copy.add(source.name(i), source.valueBytes(i).clone());
        }
        return copy;
    }

    /** Builds a {@link FcgiClientRequest}; not thread-safe. */
    public static final class Builder {

        private FcgiRole role = FcgiRole.RESPONDER;
        private final FcgiParameters params = new FcgiParameters();
        private RequestBody body = RequestBody.EMPTY;
        private RequestBody data = RequestBody.EMPTY;
        private Duration timeout;

        private Builder() {
        }

        /**
         * A time limit for this request, from {@link FcgiClient#send} until END_REQUEST, instead of the client's
         * {@link FcgiClient.Builder#requestTimeout(Duration)} (for example for a long upload or download).
         */
        public Builder timeout(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("timeout: " + timeout + " (expected: > 0)");
            }
            this.timeout = timeout;
            return this;
        }

        /** The role; default {@link FcgiRole#RESPONDER}. */
        public Builder role(FcgiRole role) {
            this.role = Objects.requireNonNull(role, "role");
            return this;
        }

        /** Adds every pair of {@code params}, after those added so far. */
        public Builder params(FcgiParameters params) {
            for (int i = 0; i < params.size(); i++) {
                this.params.add(params.name(i), params.valueBytes(i).clone());
            }
            return this;
        }

        /** Adds one CGI variable (the value is sent as UTF-8). Names may repeat; all pairs are sent in order. */
        public Builder param(String name, String value) {
            params.add(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /**
         * Adds the variables a CGI script expects: {@code GATEWAY_INTERFACE}, {@code SERVER_PROTOCOL},
         * {@code REQUEST_METHOD}, {@code SCRIPT_FILENAME}, {@code SCRIPT_NAME} (the file name), {@code QUERY_STRING}
         * and {@code REQUEST_URI}.
         */
        public Builder cgi(String method, String scriptFilename, String queryString) {
            String query = queryString == null ? "" : queryString;
            String scriptName = scriptFilename.substring(scriptFilename.lastIndexOf('/') + 1);
            return param("GATEWAY_INTERFACE", "CGI/1.1")
                    .param("SERVER_PROTOCOL", "HTTP/1.1")
                    .param("REQUEST_METHOD", method)
                    .param("SCRIPT_FILENAME", scriptFilename)
                    .param("SCRIPT_NAME", "/" + scriptName)
                    .param("QUERY_STRING", query)
                    .param("REQUEST_URI", "/" + scriptName + (query.isEmpty() ? "" : "?" + query));
        }

        /** The body, sent as STDIN; the array is not copied, so do not change it until the response ends. */
        public Builder body(byte[] body) {
            this.body = new RequestBody.Bytes(body);
            return this;
        }

        /** The body as UTF-8. */
        public Builder body(String body) {
            return body(body.getBytes(StandardCharsets.UTF_8));
        }

        /** The body read from a file, on a separate thread, each time the request is sent. */
        public Builder body(Path file) {
            this.body = RequestBody.File.of(file);
            return this;
        }

        /**
         * The body read from {@code stream} on a separate thread, in 32 KiB chunks and only as fast as the
         * connection takes them; the stream is closed once sent, or when the request fails. A request with a
         * stream body is never retried.
         */
        public Builder body(InputStream stream) {
            return body(stream, -1);
        }

        /** As {@link #body(InputStream)}, with a known length (sent as CONTENT_LENGTH unless given). */
        public Builder body(InputStream stream, long length) {
            this.body = new RequestBody.Stream(stream, length);
            return this;
        }

        /** The FILTER role's data file, sent as DATA after STDIN; see {@link #body(byte[])}. */
        public Builder data(byte[] data) {
            this.data = new RequestBody.Bytes(data);
            return this;
        }

        /** The FILTER role's data file, read from a file. */
        public Builder data(Path file) {
            this.data = RequestBody.File.of(file);
            return this;
        }

        /** The FILTER role's data file, read from a stream; see {@link #body(InputStream)}. */
        public Builder data(InputStream stream, long length) {
            this.data = new RequestBody.Stream(stream, length);
            return this;
        }

        /**
         * Builds the request, adding {@code CONTENT_LENGTH} (and {@code FCGI_DATA_LENGTH} for FILTER) when the
         * length is known and the variable was not given.
         *
         * @throws IllegalStateException when data was given for a role other than FILTER
         */
        public FcgiClientRequest build() {
            if (data != RequestBody.EMPTY && role != FcgiRole.FILTER) {
                throw new IllegalStateException("data (the DATA stream) is only sent for role FILTER, not " + role);
            }
            FcgiClientRequest request = new FcgiClientRequest(this);
            if (body.length() > 0 && !params.contains("CONTENT_LENGTH")) {
                request.params.add("CONTENT_LENGTH", Long.toString(body.length()));
            }
            if (role == FcgiRole.FILTER && data.length() >= 0 && !params.contains("FCGI_DATA_LENGTH")) {
                request.params.add("FCGI_DATA_LENGTH", Long.toString(data.length()));
            }
            return request;
        }
    }
}
