package dev.fcgi.protocol.server;

import dev.fcgi.protocol.FcgiRecordDecoder;
import dev.fcgi.protocol.FcgiRecordEncoder;
import dev.fcgi.protocol.FcgiRole;
import dev.fcgi.protocol.FcgiTransport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A FastCGI application server: listens on TCP and Unix domain sockets, speaks FastCGI 1.0 with multiplexing and
 * keep-conn, and runs an {@link FcgiHandler} for every request.
 *
 * <pre>{@code
 * try (FcgiServer server = FcgiServer.builder()
 *         .listen("127.0.0.1:9000")
 *         .handler((request, response) -> response.body().write("Hello".getBytes(UTF_8)))
 *         .build()
 *         .start()) {
 *     server.awaitClose();
 * }
 * }</pre>
 *
 * By default the handler runs on a virtual thread per request and may block. Every limit has a builder method
 * with a documented default; see the README's configuration table.
 */
public final class FcgiServer implements AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(FcgiServer.class);

    private final List<SocketAddress> listen;
    private final boolean listenInherited;
    private final String unixSocketOwner;
    private final String unixSocketGroup;
    private final int unixSocketMode;
    private final ServerConfig config;
    private final EventLoopGroup group;
    private final boolean ownsGroup;
    private final ExecutorService ownedExecutor;
    private final int listenBacklog;
    private final WriteBufferWaterMark waterMark;
    private final ServerCounters counters;
    private final List<ServerChannel> serverChannels = new CopyOnWriteArrayList<>();
    private final ChannelGroup connections = new DefaultChannelGroup("fcgi-connections", GlobalEventExecutor.INSTANCE);
    private final List<Path> socketFiles = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    private FcgiServer(Builder builder, ServerConfig config, ExecutorService ownedExecutor) {
        this.listen = List.copyOf(builder.listen);
        this.listenInherited = builder.listenInherited;
        this.unixSocketOwner = builder.unixSocketOwner;
        this.unixSocketGroup = builder.unixSocketGroup;
        this.unixSocketMode = builder.unixSocketMode;
        this.config = config;
        this.ownsGroup = builder.group == null;
        this.group = ownsGroup ? FcgiTransport.newEventLoopGroup(
                builder.ioThreads > 0 ? builder.ioThreads : defaultIoThreads(), "fcgi-io") : builder.group;
        this.ownedExecutor = ownedExecutor;
        this.waterMark = builder.waterMark;
        this.listenBacklog = builder.listenBacklog;
        this.counters = new ServerCounters(config.maxConcurrentRequests());
    }

    /** Half the cores, at least one: the default number of I/O threads. */
    static int defaultIoThreads() {
        return Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
    }

    /** A builder with every setting at its default. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Binds every listen address, gives each Unix socket file its owner, group and mode, and then starts accepting
     * connections on all of them.
     *
     * @throws IOException when an address cannot be bound, the owner or group of the Unix socket files does not
     *                     exist, or the file's owner, group or mode cannot be set (the server is then closed)
     */
    public FcgiServer start() throws IOException {
        try {
            UnixSocketPermissions permissions =
                    UnixSocketPermissions.lookup(unixSocketOwner, unixSocketGroup, unixSocketMode);
            if (listenInherited) {
                ServerChannel inherited = FcgiTransport.inheritedServerChannel(group);
                if (inherited == null) {
                    throw new IOException("standard input (fd 0) is not a listening socket");
                }
                ChannelFuture future = bootstrap(null).channelFactory(() -> inherited).register().sync();
                serverChannels.add((ServerChannel) future.channel());
                logger.info("FastCGI server listening on the inherited socket {}",
                        FcgiTransport.formatAddress(inherited.localAddress()));
            }
            for (SocketAddress address : listen) {
                Path socket = FcgiTransport.unixPath(address);
                if (socket != null) {
                    removeStaleSocket(socket);
                }
                ChannelFuture future = bootstrap(address).bind(FcgiTransport.transportAddress(group, address));
                future.awaitUninterruptibly();
                if (!future.isSuccess()) {
                    throw new IOException("cannot listen on " + FcgiTransport.formatAddress(address) + ": "
                            + future.cause().getMessage(), future.cause());
                }
                serverChannels.add((ServerChannel) future.channel());
                if (socket != null) {
                    socketFiles.add(socket);
                    permissions.applyTo(socket);
                }
                logger.info("FastCGI server listening on {} ({})",
                        FcgiTransport.formatAddress(future.channel().localAddress()),
                        future.channel().getClass().getSimpleName());
            }
            for (ServerChannel channel : serverChannels) {
                channel.config().setAutoRead(true);
            }
            return this;
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new IOException("interrupted while binding", e);
        }
    }

    private ServerBootstrap bootstrap(SocketAddress address) {
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .option(ChannelOption.SO_BACKLOG, listenBacklog)
                .option(ChannelOption.AUTO_READ, false)     // start() accepts once every address is set up
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, waterMark)
                .handler(new AcceptLimiter(config, counters, serverChannels, connections))
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast("decoder", new FcgiRecordDecoder());
                        ch.pipeline().addLast("encoder", FcgiRecordEncoder.INSTANCE);
                        ch.pipeline().addLast("fcgi", new FcgiServerHandler(config, counters));
                    }
                });
        if (address != null) {
            bootstrap.channelFactory(FcgiTransport.serverChannelFactory(group, address));
            if (address instanceof InetSocketAddress) {
                bootstrap.option(ChannelOption.SO_REUSEADDR, true);
                bootstrap.childOption(ChannelOption.TCP_NODELAY, true);
            }
        }
        return bootstrap;
    }

    private static void removeStaleSocket(Path socket) throws IOException {
        if (Files.exists(socket, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            PosixFileAttributes attributes = Files.readAttributes(socket, PosixFileAttributes.class,
                    java.nio.file.LinkOption.NOFOLLOW_LINKS);
            if (!attributes.isOther()) {
                throw new IOException("cannot listen on " + socket + ": a file that is not a socket is in the way");
            }
            Files.delete(socket);
        }
    }

    /** The bound addresses (with the real port when port 0 was asked for). */
    public List<SocketAddress> localAddresses() {
        List<SocketAddress> addresses = new ArrayList<>();
        for (ServerChannel channel : serverChannels) {
            SocketAddress local = channel.localAddress();
            Path path = FcgiTransport.unixPath(local);
            addresses.add(path != null ? java.net.UnixDomainSocketAddress.of(path) : local);
        }
        return addresses;
    }

    /** The first bound address. */
    public SocketAddress localAddress() {
        return localAddresses().get(0);
    }

    /** The number of open connections. */
    public int connectionCount() {
        return counters.connections();
    }

    /** The number of requests between BEGIN_REQUEST and END_REQUEST. */
    public int activeRequestCount() {
        return counters.requests();
    }

    /** Blocks until the server is closed (from another thread or a shutdown hook). */
    public void awaitClose() throws InterruptedException {
        for (ServerChannel channel : serverChannels) {
            channel.closeFuture().sync();
        }
        group.terminationFuture().await();
    }

    /**
     * Stops gracefully: {@link #drain()}, then {@link #awaitDrained(Duration)}, then {@link #close()}, which aborts
     * whatever still runs when the timeout has passed.
     *
     * @return whether every request finished (and, with the server's own executor, every handler returned) in time
     */
    public boolean shutdownGracefully(Duration timeout) throws InterruptedException {
        drain();
        try {
            return awaitDrained(timeout);
        } finally {
            close();
        }
    }

    /**
     * The first step of a graceful stop, which returns at once: stops listening (new connections are refused by the
     * operating system, and Unix socket files are removed); a connection that has served requests closes once they
     * have ended (at once when idle; a web server retries a request that meets a kept connection closing), and a
     * connection that has begun none yet may begin one within the header timeout, then closes. Requests already
     * begun run to their end as usual; any other request begun on a draining connection gets FCGI_OVERLOADED.
     * Idempotent.
     */
    public void drain() {
        if (closed || !counters.startDraining()) {
            return;
        }
        stopListening();
        for (Channel connection : connections) {
            // a connection whose handler is not added yet sees the flag when it is (FcgiServerHandler.handlerAdded)
            FcgiServerHandler handler = connection.pipeline().get(FcgiServerHandler.class);
            if (handler != null) {
                handler.drain();
            }
        }
        logger.info("FastCGI server draining: {} connections, {} requests in progress", counters.connections(),
                counters.requests());
    }

    /**
     * After {@link #drain()}: waits until every connection has closed and, when the server runs handlers on its own
     * executor, every handler has returned (also those that went on after {@link FcgiResponse#finish()}).
     *
     * @return whether that happened within {@code timeout}
     */
    public boolean awaitDrained(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Channel connection : connections) {
            if (!connection.closeFuture().await(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                return false;
            }
        }
        if (ownedExecutor != null) {
            ownedExecutor.shutdown();
            return ownedExecutor.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        }
        return true;
    }

    /**
     * Stops listening, closes every connection (running handlers see their requests aborted) and releases the
     * threads the server created. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        stopListening();
        connections.close().awaitUninterruptibly();
        if (ownedExecutor != null) {
            ownedExecutor.shutdown();
        }
        if (ownsGroup) {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
        }
    }

    private void stopListening() {
        for (ServerChannel channel : serverChannels) {
            channel.close().awaitUninterruptibly();
        }
        for (Path socket : socketFiles) {
            try {
                Files.deleteIfExists(socket);
            } catch (IOException e) {
                logger.warn("cannot remove socket file {}: {}", socket, e.toString());
            }
        }
    }

    /**
     * Settings of an {@link FcgiServer}. Each limit is checked when set; {@link #build()} checks that a handler and
     * at least one listen address are given.
     */
    public static final class Builder {

        /** The longest timeout a setting takes: beyond it, nanosecond arithmetic would overflow. */
        private static final Duration MAX_TIMEOUT = Duration.ofDays(365);

        private final List<SocketAddress> listen = new ArrayList<>();
        private boolean listenInherited;
        private FcgiHandler handler;
        private FcgiDispatcher dispatcher;
        private boolean handlerOnEventLoop;
        private boolean fullDuplex;
        private Set<FcgiRole> roles = EnumSet.allOf(FcgiRole.class);
        private EventLoopGroup group;
        private int ioThreads;
        private int maxConnections = 1024;
        private int listenBacklog = 1024;
        private int maxRequestsPerConnection = 128;
        private int maxConcurrentRequests = 4096;
        private int maxParamsLength = 256 * 1024;
        private int maxParams = 1000;
        private long maxRequestBodyLength = Long.MAX_VALUE;
        private int bodySpoolThreshold = 256 * 1024;
        private Path spoolDirectory = Path.of(System.getProperty("java.io.tmpdir"));
        private Duration headerTimeout = Duration.ofSeconds(10);
        private Duration bodyReadTimeout = Duration.ofSeconds(60);
        private Duration writeTimeout = Duration.ofSeconds(60);
        private Duration idleTimeout = Duration.ofSeconds(120);
        private Duration lingerTimeout = Duration.ofSeconds(2);
        private Duration requestTerminateTimeout = Duration.ZERO;
        private int responseBufferSize = 32 * 1024;
        private long eventLoopWriteLimit = 8L << 20;
        private WriteBufferWaterMark waterMark = new WriteBufferWaterMark(64 * 1024, 128 * 1024);
        private List<AllowedClient> allowedClients = List.of();
        private String unixSocketOwner;
        private String unixSocketGroup;
        private int unixSocketMode = UnixSocketPermissions.UNSET;

        private Builder() {
        }

        /** Adds a listen address: {@code 127.0.0.1:9000}, {@code [::1]:9000}, {@code 9000} or {@code unix:/path}. */
        public Builder listen(String address) {
            return listen(FcgiTransport.parseAddress(address));
        }

        /** Adds a listen address: an {@link InetSocketAddress} or a {@link java.net.UnixDomainSocketAddress}. */
        public Builder listen(SocketAddress address) {
            listen.add(Objects.requireNonNull(address, "address"));
            return this;
        }

        /**
         * Also accepts on the listening socket a web server passed as file descriptor 0 (FCGI_LISTENSOCK_FILENO), as
         * mod_fcgid, lighttpd and spawn-fcgi do. When no allowed clients are set, {@code FCGI_WEB_SERVER_ADDRS}
         * from the environment is applied, as {@link #allowedClients(List)} would.
         *
         * @throws IllegalArgumentException naming the first entry of {@code FCGI_WEB_SERVER_ADDRS} that is neither
         *                                  an IP address nor a CIDR range
         */
        public Builder listenInherited() {
            listenInherited = true;
            String addrs = System.getenv("FCGI_WEB_SERVER_ADDRS");
            if (allowedClients.isEmpty() && addrs != null) {
                allowedClients = parseAllowedClients("FCGI_WEB_SERVER_ADDRS", List.of(addrs.split(",")));
            }
            return this;
        }

        /** The request handler. Required. */
        public Builder handler(FcgiHandler handler) {
            this.handler = Objects.requireNonNull(handler, "handler");
            return this;
        }

        /**
         * Where handlers run. Default: a new virtual thread per request. An executor that throws
         * {@link java.util.concurrent.RejectedExecutionException} makes the request end with FCGI_OVERLOADED.
         * The server never shuts down an executor it was given.
         */
        public Builder executor(Executor executor) {
            Objects.requireNonNull(executor, "executor");
            return dispatcher(FcgiDispatcher.of(executor));
        }

        /**
         * Where and when handlers run, for a worker pool that also wants to see each request (the scoreboard, the
         * status page). Replaces {@link #executor(Executor)}; the server never shuts a dispatcher down.
         */
        public Builder dispatcher(FcgiDispatcher dispatcher) {
            this.dispatcher = Objects.requireNonNull(dispatcher, "dispatcher");
            return this;
        }

        /**
         * Runs the handler on the connection's event loop, once the whole request (params, body and data) has
         * arrived, for handlers that never block. Body reads then never wait and response writes never wait for
         * the connection (up to {@link #eventLoopWriteLimit(long)} bytes collect in memory); a request whose body stops coming for the body read
         * timeout is answered 408. Default: false.
         */
        public Builder handlerOnEventLoop(boolean onEventLoop) {
            this.handlerOnEventLoop = onEventLoop;
            return this;
        }

        /**
         * Whether a response may start before its request body has fully arrived. Default: false, as under
         * PHP-FPM, whose scripts start after PHP has read the body: the first STDOUT record of a response waits
         * (the handler's write or flush waits with it, for at most the body read timeout without data) until the
         * empty STDIN record has arrived, read by the handler or not. The reason is nginx: once it has the
         * response header it sends no more of the request body, so a handler that answers while it reads (a
         * transform of the upload, an echo) would wait for the rest of its body until a timeout. The body keeps
         * arriving meanwhile (spooled past {@link #bodySpoolThreshold(int)}), and a held response holds one
         * {@link #responseBufferSize(int)} chunk. A response that ends (the handler returns, or calls
         * {@code finish()}) is sent at once, closing the body stream does not wait, and STDERR is never held; a
         * body that stops coming for the body read timeout fails the waiting write, and the answer is 408. Set true for clients that read the answer while they send the body (FcgiClient):
         * the FastCGI specification allows a responder to write before STDIN ends.
         */
        public Builder fullDuplex(boolean fullDuplex) {
            this.fullDuplex = fullDuplex;
            return this;
        }

        /** The roles served; others get FCGI_UNKNOWN_ROLE. Default: RESPONDER, AUTHORIZER and FILTER. */
        public Builder roles(FcgiRole... roles) {
            if (roles.length == 0) {
                throw new IllegalArgumentException("roles: none given (expected: at least one)");
            }
            this.roles = EnumSet.of(roles[0], roles);
            return this;
        }

        /** The Netty event loop group to use, which the server then never shuts down. Default: its own. */
        public Builder eventLoopGroup(EventLoopGroup group) {
            this.group = Objects.requireNonNull(group, "group");
            return this;
        }

        /**
         * The number of I/O threads of the server's own event loop group. Default (0): half the cores, at least one.
         * Netty's usual 2 × cores made each loop wake for one request at a time behind nginx on the same machine,
         * for half again the CPU per request (see the README's design notes).
         */
        public Builder ioThreads(int threads) {
            this.ioThreads = checkRange("ioThreads", threads, 0, 1024);
            return this;
        }

        /**
         * Connections the kernel may hold for each listening socket before the server accepts them (the
         * {@code listen(2)} backlog, capped by {@code net.core.somaxconn}), as FPM's {@code listen.backlog}.
         * Default: 1024.
         */
        public Builder listenBacklog(int backlog) {
            this.listenBacklog = checkRange("listenBacklog", backlog, 1, 65535);
            return this;
        }

        /** Open connections at most (FCGI_MAX_CONNS); past it the server stops accepting. Default: 1024. */
        public Builder maxConnections(int max) {
            this.maxConnections = checkRange("maxConnections", max, 1, 1 << 20);
            return this;
        }

        /**
         * Concurrent requests on one connection at most. 1 turns multiplexing off (FCGI_MPXS_CONNS=0) and answers a
         * second request with FCGI_CANT_MPX_CONN; above 1, requests past it get FCGI_OVERLOADED. Default: 128.
         */
        public Builder maxRequestsPerConnection(int max) {
            this.maxRequestsPerConnection = checkRange("maxRequestsPerConnection", max, 1, 0xFFFF);
            return this;
        }

        /** Concurrent requests over all connections at most (FCGI_MAX_REQS); past it FCGI_OVERLOADED. Default: 4096. */
        public Builder maxConcurrentRequests(int max) {
            this.maxConcurrentRequests = checkRange("maxConcurrentRequests", max, 1, 1 << 24);
            return this;
        }

        /** Bytes of one request's PARAMS stream at most; past it the request gets 431. Default: 256 KiB. */
        public Builder maxParamsLength(int max) {
            this.maxParamsLength = checkRange("maxParamsLength", max, 64, Integer.MAX_VALUE);
            return this;
        }

        /** Name-value pairs of one request at most; past it the request gets 431. Default: 1000. */
        public Builder maxParams(int max) {
            this.maxParams = checkRange("maxParams", max, 1, Integer.MAX_VALUE);
            return this;
        }

        /**
         * Bytes of one request body at most; past it body reads fail and the answer is 413 unless the handler
         * committed one. Default: unlimited (the web server's own limit, such as nginx's
         * {@code client_max_body_size}, applies first).
         */
        public Builder maxRequestBodyLength(long max) {
            if (max < 0) {
                throw new IllegalArgumentException("maxRequestBodyLength: " + max + " (expected: >= 0)");
            }
            this.maxRequestBodyLength = max;
            return this;
        }

        /** Unread body bytes kept in memory per request; the rest goes to a temporary file. Default: 256 KiB. */
        public Builder bodySpoolThreshold(int bytes) {
            this.bodySpoolThreshold = checkRange("bodySpoolThreshold", bytes, 0, Integer.MAX_VALUE);
            return this;
        }

        /** Where large bodies are spooled. Default: {@code java.io.tmpdir}. */
        public Builder spoolDirectory(Path directory) {
            Objects.requireNonNull(directory, "directory");
            if (Files.exists(directory) && !Files.isDirectory(directory)) {
                throw new IllegalArgumentException("spoolDirectory: " + directory + " (is not a directory)");
            }
            this.spoolDirectory = directory;
            return this;
        }

        /**
         * Time from BEGIN_REQUEST to the end of PARAMS at most; then the request is ended (END_REQUEST, appStatus 1)
         * and the connection closed once its other requests have ended. Default: 10 s.
         */
        public Builder headerTimeout(Duration timeout) {
            this.headerTimeout = checkPositive("headerTimeout", timeout);
            return this;
        }

        /**
         * Time a body read waits for data at most; then it fails, and the answer is 408 unless the handler catches
         * it. With {@link #handlerOnEventLoop(boolean)}, the time the body may stall before the handler runs; then
         * the request is answered 408 without it. Default: 60 s.
         */
        public Builder bodyReadTimeout(Duration timeout) {
            this.bodyReadTimeout = checkPositive("bodyReadTimeout", timeout);
            return this;
        }

        /** Time a response write waits for the connection to take data at most; then it fails. Default: 60 s. */
        public Builder writeTimeout(Duration timeout) {
            this.writeTimeout = checkPositive("writeTimeout", timeout);
            return this;
        }

        /**
         * Time a connection may go without a request in progress, counted from when it opened or its last request
         * ended (bytes that do not start a request do not reset it); then it is closed. Default: 120 s.
         */
        public Builder idleTimeout(Duration timeout) {
            this.idleTimeout = checkPositive("idleTimeout", timeout);
            return this;
        }

        /**
         * Time the server keeps reading (and discarding) the rest of a request body before it closes a connection
         * without keep-conn, so that the web server gets no reset while still writing. Default: 2 s.
         */
        public Builder lingerTimeout(Duration timeout) {
            this.lingerTimeout = checkPositive("lingerTimeout", timeout);
            return this;
        }

        /**
         * Time a handler may run, from its start, before its request is ended, as PHP-FPM's
         * {@code request_terminate_timeout}: the answer is {@code 504} if nothing was sent yet, else it is cut short
         * (no END_REQUEST, and the connection closes once idle, so the web server does not take it as complete);
         * the handler is interrupted, and its reads and writes fail. A handler that ignores the interrupt runs on,
         * cut off from its request. {@link Duration#ZERO} (the default) sets no limit. Not applied to handlers on
         * the event loop, which must not block. A worker pool (fcgi-pool) has its own, with a replacement of the
         * worker.
         */
        public Builder requestTerminateTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "requestTerminateTimeout");
            this.requestTerminateTimeout = timeout.isZero() ? timeout : checkPositive("requestTerminateTimeout", timeout);
            return this;
        }

        /**
         * Bytes a handler on the event loop ({@link #handlerOnEventLoop(boolean)}) may leave queued on its
         * connection: it cannot wait for the web server to read, so past this its write fails and the answer is cut
         * short (large answers to slow readers belong on a worker, whose writes wait). Default: 8 MiB.
         */
        public Builder eventLoopWriteLimit(long bytes) {
            if (bytes < 64 * 1024 || bytes > 1L << 40) {
                throw new IllegalArgumentException("eventLoopWriteLimit: " + bytes + " (expected: 65536 to "
                        + (1L << 40) + ")");
            }
            this.eventLoopWriteLimit = bytes;
            return this;
        }

        /** Size of the STDOUT records a response body is cut into. Default: 32 KiB. */
        public Builder responseBufferSize(int bytes) {
            this.responseBufferSize = checkRange("responseBufferSize", bytes, 256, 0xFFFF * 16);
            return this;
        }

        /**
         * Outbound bytes queued per connection before writers wait (high), and the level at which they resume
         * (low). Default: 64 KiB / 128 KiB.
         */
        public Builder writeBufferWaterMark(int low, int high) {
            checkRange("high", high, 1, 1 << 30);
            this.waterMark = new WriteBufferWaterMark(checkRange("low", low, 0, high), high);
            return this;
        }

        /**
         * The web servers allowed to connect over TCP: IPv4 and IPv6 addresses and CIDR ranges such as
         * {@code 10.0.0.0/8} (as php-fpm's {@code listen.allowed_clients} and FastCGI's
         * {@code FCGI_WEB_SERVER_ADDRS}; see {@link AllowedClient}); others are closed at accept. Spaces around an
         * entry and blank entries are ignored. Unix socket peers are not checked. Default: any client.
         *
         * @throws IllegalArgumentException naming the first entry that is neither an address nor a range (host
         *                                  names are refused, never looked up)
         */
        public Builder allowedClients(List<String> clients) {
            this.allowedClients = parseAllowedClients("allowedClients", clients);
            return this;
        }

        /**
         * The owner given to the socket file of every Unix domain socket the server binds, as php-fpm's
         * {@code listen.owner}: a user name or a numeric uid. Looked up by {@link FcgiServer#start()}, which fails
         * with an {@link IOException} for an unknown user; giving the file to another user needs root
         * (CAP_CHOWN). Unlike php-fpm, a user name does not also set the group. Default: as created (the JVM's
         * user).
         */
        public Builder unixSocketOwner(String user) {
            this.unixSocketOwner = checkName("unixSocketOwner", user, "a user name or uid");
            return this;
        }

        /**
         * The group given to the socket file of every Unix domain socket the server binds, as php-fpm's
         * {@code listen.group}: a group name or a numeric gid. Looked up by {@link FcgiServer#start()}, which fails
         * with an {@link IOException} for an unknown group; without root, only a group the JVM's user is in.
         * Default: as created (the JVM's primary group, or the directory's group when it is set-group-ID).
         */
        public Builder unixSocketGroup(String group) {
            this.unixSocketGroup = checkName("unixSocketGroup", group, "a group name or gid");
            return this;
        }

        /**
         * The permission bits given to the socket file of every Unix domain socket the server binds, as php-fpm's
         * {@code listen.mode}, for example {@code 0660}: connecting needs write permission on Linux. Set right after
         * bind(2) and before the server accepts; for that moment the file has the mode the process umask gave it
         * (php-fpm sets its umask instead). Default: as created (php-fpm's default is 0660).
         *
         * @throws IllegalArgumentException when {@code mode} is outside 0 to 0777
         */
        public Builder unixSocketMode(int mode) {
            if (mode < 0 || mode > 0777) {
                throw new IllegalArgumentException("unixSocketMode: " + UnixSocketPermissions.octal(mode)
                        + " (expected: 0 to 0777)");
            }
            this.unixSocketMode = mode;
            return this;
        }

        /** Checks the settings and creates the server, not yet listening. */
        public FcgiServer build() {
            if (handler == null) {
                throw new IllegalStateException("handler not set");
            }
            if (listen.isEmpty() && !listenInherited) {
                throw new IllegalStateException("no listen address set");
            }
            ExecutorService owned = dispatcher == null
                    ? Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("fcgi-handler-", 0).factory())
                    : null;
            ServerConfig config = new ServerConfig(handler, dispatcher == null ? FcgiDispatcher.of(owned) : dispatcher,
                    handlerOnEventLoop, fullDuplex,
                    Set.copyOf(roles), maxConnections, maxRequestsPerConnection, maxConcurrentRequests,
                    maxParamsLength, maxParams, maxRequestBodyLength, bodySpoolThreshold, spoolDirectory,
                    headerTimeout, bodyReadTimeout, writeTimeout, idleTimeout, lingerTimeout, requestTerminateTimeout,
                    responseBufferSize, eventLoopWriteLimit,
                    allowedClients);
            return new FcgiServer(this, config, owned);
        }

        private static List<AllowedClient> parseAllowedClients(String setting, List<String> clients) {
            List<AllowedClient> parsed = new ArrayList<>();
            for (String client : clients) {
                String entry = client.strip();
                if (entry.isEmpty()) {
                    continue;
                }
                try {
                    parsed.add(AllowedClient.parse(entry));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(
                            setting + ": '" + entry + "' (expected: an IP address or a CIDR range)", e);
                }
            }
            return List.copyOf(parsed);
        }

        private static String checkName(String setting, String name, String expected) {
            Objects.requireNonNull(name, setting);
            if (name.isBlank()) {
                throw new IllegalArgumentException(setting + ": '" + name + "' (expected: " + expected + ')');
            }
            return name;
        }

        private static int checkRange(String name, int value, int min, int max) {
            if (value < min || value > max) {
                throw new IllegalArgumentException(name + ": " + value + " (expected: " + min + " to " + max + ')');
            }
            return value;
        }

        private static Duration checkPositive(String name, Duration value) {
            if (value.isNegative() || value.isZero() || value.compareTo(MAX_TIMEOUT) > 0) {
                throw new IllegalArgumentException(name + ": " + value + " (expected: > 0 and at most 365 days)");
            }
            return value;
        }
    }
}
