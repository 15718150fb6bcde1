package dev.fcgi.protocol.client;

import dev.fcgi.protocol.FcgiConstants;
import dev.fcgi.protocol.FcgiRecordDecoder;
import dev.fcgi.protocol.FcgiRecordEncoder;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.EventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A FastCGI client: sends requests to a FastCGI application (php-fpm, {@code php-cgi -b}, this library's server,
 * any other) over TCP or a Unix socket, and streams the responses back.
 *
 * <ul>
 *   <li><b>Connections</b> are pooled and kept open between requests (FCGI_KEEP_CONN), up to
 *       {@link Builder#maxConnections(int)}; a request that finds them all busy waits for one. With
 *       {@link Builder#keepConn(boolean) keepConn(false)} every request gets its own connection, closed after it.
 *       A kept connection the application closed is dialled again transparently, and a request caught by such a
 *       close on a reused connection before any answer is sent again once (when its body can be replayed).</li>
 *   <li><b>Multiplexing</b> ({@link Multiplexing}): by default the client asks the application once, with
 *       GET_VALUES on a dedicated connection, and runs several requests per connection when it answers
 *       FCGI_MPXS_CONNS=1. Without multiplexing every request uses id 1, as nginx does.</li>
 *   <li><b>Refusals</b>: FCGI_OVERLOADED and FCGI_CANT_MPX_CONN are retried (on another connection, with a
 *       short back-off) up to 3 times; FCGI_UNKNOWN_ROLE fails with {@link FcgiRequestRefusedException}. The
 *       application status of END_REQUEST is reported, never treated as a failure.</li>
 *   <li><b>Bounded memory</b>: request bodies from files and streams are sent 32 KiB at a time as the connection
 *       drains; a response body beyond {@link Builder#responseBufferSize(int)} unread bytes stops the connection
 *       reading until the caller catches up.</li>
 *   <li><b>Time limits</b>: {@link Builder#connectTimeout(Duration)}, and {@link Builder#requestTimeout(Duration)}
 *       from {@link #send} until END_REQUEST, after which the request fails with {@link FcgiTimeoutException} and
 *       is aborted (ABORT_REQUEST when other requests share its connection, otherwise the connection is
 *       closed). Cancelling the future or closing the response early does the same.</li>
 * </ul>
 *
 * <pre>{@code
 * try (FcgiClient client = FcgiClient.builder().address(new DomainSocketAddress("/run/php/php8.2-fpm.sock")).build();
 *      FcgiClientResponse response = client.send(FcgiClientRequest.get("/srv/www/index.php", "a=1")).get()) {
 *     System.out.println(response.status() + " " + response.bodyAsString());
 * }
 * }</pre>
 *
 * <p>Thread-safe. Futures and their dependent actions complete on the client's own (virtual) callback threads,
 * never on an event loop, so they may block (for example to read the body), unless
 * {@link Builder#callbackExecutor(Executor)} says otherwise.
 *
 * @see <a href="https://fastcgi-archives.github.io/FastCGI_Specification.html">FastCGI 1.0</a>
 */
public final class FcgiClient implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(FcgiClient.class);

    /** The size of the chunks a streamed request body is read and sent in. */
    static final int CHUNK_SIZE = 32 * 1024;
    /** How much of a response's FCGI_STDERR is kept. */
    static final int STDERR_LIMIT = 64 * 1024;
    /** How often a request refused with FCGI_OVERLOADED or FCGI_CANT_MPX_CONN is sent again. */
    static final int MAX_REFUSAL_RETRIES = 3;

    final SocketAddress address;
    final Transport transport;
    final EventLoopGroup group;
    private final boolean ownsGroup;
    final int maxConnections;
    final boolean keepConn;
    final Multiplexing multiplexing;
    final int maxRequestsPerConnection;
    final int connectTimeoutMillis;
    final long requestTimeoutNanos;
    final long abortTimeoutNanos;
    final int maxResponseHeaderLength;
    final int responseBufferSize;
    final ExecutorService callbacks;          // body pumps, and callbacks when no executor was given
    final Executor completions;               // where futures complete
    final ConnectionPool pool;

    private final Object probeLock = new Object();
    private CompletableFuture<Void> probe;
    private volatile boolean closed;

    private FcgiClient(Builder b) {
        address = b.address;
        ownsGroup = b.group == null;
        maxConnections = b.maxConnections;
        group = ownsGroup
                ? Transport.newGroup(Math.min(Runtime.getRuntime().availableProcessors(), maxConnections),
                        "fcgi-client")
                : b.group;
        try {
            transport = Transport.of(group, address);
        } catch (RuntimeException e) {
            if (ownsGroup) {
                group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            }
            throw e;
        }
        keepConn = b.keepConn;
        multiplexing = b.multiplexing;
        maxRequestsPerConnection = b.maxRequestsPerConnection;
        connectTimeoutMillis = (int) Math.min(Integer.MAX_VALUE, b.connectTimeout.toMillis());
        requestTimeoutNanos = toNanos(b.requestTimeout);
        abortTimeoutNanos = toNanos(b.abortTimeout);
        maxResponseHeaderLength = b.maxResponseHeaderLength;
        responseBufferSize = b.responseBufferSize;
        callbacks = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("fcgi-client-callback-", 0).factory());
        completions = b.callbackExecutor != null ? b.callbackExecutor : callbacks;
        int capacity = keepConn && multiplexing == Multiplexing.ON ? maxRequestsPerConnection : 1;
        pool = new ConnectionPool(this, capacity, maxConnections);
    }

    /** A builder; only {@link Builder#address(SocketAddress)} is required. */
    public static Builder builder() {
        return new Builder();
    }

    /** The application's address. */
    public SocketAddress address() {
        return address;
    }

    /**
     * Sends a request. The future completes once the CGI header block of the response has been parsed (the body
     * then streams in), or exceptionally with an {@link FcgiClientException}: {@link FcgiConnectException},
     * {@link FcgiTimeoutException}, {@link FcgiRequestRefusedException}, or a protocol error. Cancelling the
     * future aborts the request.
     */
    public CompletableFuture<FcgiClientResponse> send(FcgiClientRequest request) {
        Objects.requireNonNull(request, "request");
        Exchange ex = new Exchange(this, request);
        if (closed) {
            ex.fail(new FcgiClientException("client closed"));
            return ex.future();
        }
        try {
            ex.startTimer();
        } catch (RejectedExecutionException e) {
            ex.fail(new FcgiClientException("client closed", e));
            return ex.future();
        }
        ready().whenComplete((ignored, error) -> pool.acquire(ex));
        return ex.future();
    }

    /**
     * Asks the application for management variables ({@code FCGI_MAX_CONNS}, {@code FCGI_MAX_REQS},
     * {@code FCGI_MPXS_CONNS}, or others it knows) with GET_VALUES, on a dedicated connection that is closed once
     * the answer has arrived. The map holds the variables the application answered, in its order; it fails with
     * {@link FcgiTimeoutException} when no answer comes within the request timeout.
     *
     * @see <a href="https://fastcgi-archives.github.io/FastCGI_Specification.html#S4.1">FastCGI 1.0, section 4.1</a>
     */
    public CompletableFuture<Map<String, String>> getValues(String... names) {
        List<String> list = List.of(names);
        CompletableFuture<Map<String, String>> answer = new CompletableFuture<>();
        if (closed) {
            answer.completeExceptionally(new FcgiClientException("client closed"));
            return answer;
        }
        queryValues(list, requestTimeoutNanos).whenComplete((values, error) -> callback(() -> {
            if (error != null) {
                answer.completeExceptionally(error);
            } else {
                answer.complete(values);
            }
        }));
        return answer;
    }

    /**
     * Closes every connection (requests in progress fail with "client closed") and, when the client created its
     * event loop group, shuts it down and waits (up to a few seconds) for it to terminate. A group given to the
     * builder is left running. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        List<ChannelFuture> closing = pool.close();
        boolean onEventLoop = false;
        for (EventExecutor executor : group) {
            onEventLoop |= executor.inEventLoop();
        }
        if (ownsGroup) {
            var terminated = group.shutdownGracefully(0, 2, TimeUnit.SECONDS);
            if (!onEventLoop) {
                terminated.awaitUninterruptibly(5, TimeUnit.SECONDS);
            }
        } else if (!onEventLoop) {
            for (ChannelFuture f : closing) {
                f.awaitUninterruptibly(2, TimeUnit.SECONDS);
            }
        }
        callbacks.shutdown();
    }

    @Override
    public String toString() {
        return "FcgiClient(" + address + ", " + pool.connectionCount() + " connections)";
    }

    // ---- internals ----------------------------------------------------------------------------------------------

    /** Completes when the pool knows whether to multiplex: at once, or after the one-time GET_VALUES probe. */
    private CompletableFuture<Void> ready() {
        if (multiplexing != Multiplexing.AUTO || !keepConn) {
            return CompletableFuture.completedFuture(null);
        }
        synchronized (probeLock) {
            if (probe == null) {
                probe = startProbe();
            }
            return probe;
        }
    }

    private CompletableFuture<Void> startProbe() {
        List<String> names = List.of(FcgiConstants.MPXS_CONNS, FcgiConstants.MAX_REQS, FcgiConstants.MAX_CONNS);
        long timeout = TimeUnit.MILLISECONDS.toNanos(connectTimeoutMillis);
        return queryValues(names, timeout).handle((values, error) -> {
            if (error == null) {
                applyProbe(values);
            } else if (error instanceof FcgiConnectException) {
                log.debug("multiplexing probe: {}; asking again with the next request", error.getMessage());
                synchronized (probeLock) {
                    probe = null;
                }
            } else {
                log.info("{} did not answer GET_VALUES ({}): assuming it does not multiplex", address,
                        error.getMessage());
                pool.configure(1, maxConnections);
            }
            return null;
        });
    }

    private void applyProbe(Map<String, String> values) {
        boolean mpx = "1".equals(values.getOrDefault(FcgiConstants.MPXS_CONNS, "0").strip());
        int maxReqs = positive(values.get(FcgiConstants.MAX_REQS));
        int maxConns = positive(values.get(FcgiConstants.MAX_CONNS));
        int capacity = mpx ? (maxReqs > 0 ? Math.min(maxReqs, maxRequestsPerConnection) : maxRequestsPerConnection) : 1;
        int connections = maxConns > 0 ? Math.min(maxConns, maxConnections) : maxConnections;
        log.debug("{} answered GET_VALUES {}: {} request(s) per connection, up to {} connection(s)", address, values,
                capacity, connections);
        pool.configure(capacity, connections);
    }

    private static int positive(String value) {
        if (value == null) {
            return 0;
        }
        try {
            return Math.max(0, Integer.parseInt(value.strip()));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** GET_VALUES on a dedicated connection; completes on an event loop. */
    CompletableFuture<Map<String, String>> queryValues(List<String> names, long answerTimeoutNanos) {
        CompletableFuture<Map<String, String>> result = new CompletableFuture<>();
        ChannelFuture connect;
        try {
            connect = transport.bootstrap(group.next(), connectTimeoutMillis)
                    .handler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(new FcgiRecordDecoder(), FcgiRecordEncoder.INSTANCE,
                                    new GetValuesHandler(names, result, answerTimeoutNanos, address));
                        }
                    })
                    .connect(transport.remote());
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(new FcgiClientException("client closed", e));
            return result;
        }
        connect.addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess()) {
                result.completeExceptionally(new FcgiConnectException("cannot connect to " + address + ": "
                        + f.cause(), f.cause()));
            }
        });
        return result;
    }

    /** Sends a refused or interrupted-by-close exchange again, after {@code delayNanos}. */
    void retry(Exchange ex, long delayNanos) {
        if (delayNanos <= 0) {
            pool.acquire(ex);
            return;
        }
        try {
            group.next().schedule(() -> pool.acquire(ex), delayNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            ex.fail(new FcgiClientException("client closed", e));
        }
    }

    /** 10, 20, 40 ms..., plus up to half again at random so that refused clients do not retry in step. */
    static long backoffNanos(int attempt) {
        long base = TimeUnit.MILLISECONDS.toNanos(10L << Math.min(attempt - 1, 6));
        return base + ThreadLocalRandom.current().nextLong(base / 2 + 1);
    }

    private void callback(Runnable action) {
        try {
            completions.execute(action);
        } catch (RejectedExecutionException e) {
            action.run();
        }
    }

    private static long toNanos(Duration duration) {
        try {
            return duration.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    /** Builds an {@link FcgiClient}. Each setter checks its argument; {@link #build()} checks the address. */
    public static final class Builder {

        private SocketAddress address;
        private EventLoopGroup group;
        private int maxConnections = 16;
        private boolean keepConn = true;
        private Multiplexing multiplexing = Multiplexing.AUTO;
        private int maxRequestsPerConnection = 100;
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration requestTimeout = Duration.ofSeconds(60);
        private Duration abortTimeout = Duration.ofSeconds(5);
        private int maxResponseHeaderLength = 64 * 1024;
        private int responseBufferSize = 256 * 1024;
        private Executor callbackExecutor;

        private Builder() {
        }

        /**
         * The application's address: an {@link InetSocketAddress} for TCP, or a Unix socket as a Netty
         * {@link DomainSocketAddress} or a JDK {@link UnixDomainSocketAddress} (with the epoll transport or NIO).
         * Required.
         */
        public Builder address(SocketAddress address) {
            this.address = Objects.requireNonNull(address, "address");
            return this;
        }

        /**
         * The event loops to run connections on: an NIO or epoll {@code MultiThreadIoEventLoopGroup}, which the
         * client never shuts down. Default: a group of its own (epoll when available, else NIO), shut down by
         * {@link FcgiClient#close()}.
         */
        public Builder eventLoopGroup(EventLoopGroup group) {
            this.group = Objects.requireNonNull(group, "group");
            return this;
        }

        /** The most connections open at once (including those opening); default 16. */
        public Builder maxConnections(int maxConnections) {
            this.maxConnections = requirePositive("maxConnections", maxConnections);
            return this;
        }

        /**
         * Whether connections are kept open and reused (the FCGI_KEEP_CONN flag); default true. With false, every
         * request opens a connection that is closed after its END_REQUEST, and there is no multiplexing.
         */
        public Builder keepConn(boolean keepConn) {
            this.keepConn = keepConn;
            return this;
        }

        /** Whether to run several requests at once on a connection; default {@link Multiplexing#AUTO}. */
        public Builder multiplexing(Multiplexing multiplexing) {
            this.multiplexing = Objects.requireNonNull(multiplexing, "multiplexing");
            return this;
        }

        /**
         * The most requests at once on one multiplexed connection, 1 to 65535; default 100. With
         * {@link Multiplexing#AUTO} it is lowered to the application's FCGI_MAX_REQS when that is smaller.
         */
        public Builder maxRequestsPerConnection(int maxRequestsPerConnection) {
            if (maxRequestsPerConnection < 1 || maxRequestsPerConnection > FcgiConstants.MAX_REQUEST_ID) {
                throw new IllegalArgumentException("maxRequestsPerConnection: " + maxRequestsPerConnection
                        + " (expected: 1 to 65535, the request ids there are)");
            }
            this.maxRequestsPerConnection = maxRequestsPerConnection;
            return this;
        }

        /** How long to wait for a connection to open (and for the multiplexing probe's answer); default 5 s. */
        public Builder connectTimeout(Duration connectTimeout) {
            this.connectTimeout = requirePositive("connectTimeout", connectTimeout);
            return this;
        }

        /**
         * How long a request may take from {@link FcgiClient#send} until END_REQUEST, waiting for a connection
         * included; default 60 s. Past it the request fails with {@link FcgiTimeoutException} and is aborted, so
         * read large bodies within it.
         */
        public Builder requestTimeout(Duration requestTimeout) {
            this.requestTimeout = requirePositive("requestTimeout", requestTimeout);
            return this;
        }

        /**
         * How long to wait for the END_REQUEST that answers an ABORT_REQUEST before closing the connection (its
         * request id stays reserved until then); default 5 s.
         */
        public Builder abortTimeout(Duration abortTimeout) {
            this.abortTimeout = requirePositive("abortTimeout", abortTimeout);
            return this;
        }

        /** The longest CGI header block accepted in a response, in bytes; default 64 KiB. */
        public Builder maxResponseHeaderLength(int maxResponseHeaderLength) {
            this.maxResponseHeaderLength = requirePositive("maxResponseHeaderLength", maxResponseHeaderLength);
            return this;
        }

        /**
         * The high-water mark of a response's unread body, in bytes; default 256 KiB. Past it the connection stops
         * reading from the socket until the reader has brought it down to half; on a multiplexed connection this
         * holds up the other requests too.
         */
        public Builder responseBufferSize(int responseBufferSize) {
            this.responseBufferSize = requirePositive("responseBufferSize", responseBufferSize);
            return this;
        }

        /**
         * Where the futures of {@link FcgiClient#send} and {@link FcgiClientResponse#end()} complete, and so where
         * their dependent actions run; also where the client closes a request's body streams once they are no
         * longer needed, and a response that arrived after its future was cancelled. Default: a new virtual thread
         * for each, so that they may block. A caller that only waits on the futures (a worker thread in
         * {@code get()}) may pass {@code Runnable::run}: they then complete on the connection's event loop, one
         * thread hop less per request, and nothing run there may block. The client never shuts the executor down.
         */
        public Builder callbackExecutor(Executor executor) {
            this.callbackExecutor = Objects.requireNonNull(executor, "executor");
            return this;
        }

        /**
         * Builds the client. No connection is opened until the first request.
         *
         * @throws IllegalStateException when no address was given
         */
        public FcgiClient build() {
            if (address == null) {
                throw new IllegalStateException("address is required");
            }
            return new FcgiClient(this);
        }

        private static int requirePositive(String name, int value) {
            if (value < 1) {
                throw new IllegalArgumentException(name + ": " + value + " (expected: > 0)");
            }
            return value;
        }

        private static Duration requirePositive(String name, Duration value) {
            Objects.requireNonNull(value, name);
            if (value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException(name + ": " + value + " (expected: > 0)");
            }
            return value;
        }
    }
}
