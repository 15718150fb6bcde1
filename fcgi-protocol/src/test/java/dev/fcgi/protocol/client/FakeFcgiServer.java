package dev.fcgi.protocol.client;

import dev.fcgi.protocol.FcgiAbortRequest;
import dev.fcgi.protocol.FcgiBeginRequest;
import dev.fcgi.protocol.FcgiData;
import dev.fcgi.protocol.FcgiEndRequest;
import dev.fcgi.protocol.FcgiGetValues;
import dev.fcgi.protocol.FcgiGetValuesResult;
import dev.fcgi.protocol.FcgiNameValueDecoder;
import dev.fcgi.protocol.FcgiParameters;
import dev.fcgi.protocol.FcgiParams;
import dev.fcgi.protocol.FcgiProtocolStatus;
import dev.fcgi.protocol.FcgiRecord;
import dev.fcgi.protocol.FcgiRecordDecoder;
import dev.fcgi.protocol.FcgiRecordEncoder;
import dev.fcgi.protocol.FcgiRole;
import dev.fcgi.protocol.FcgiStderr;
import dev.fcgi.protocol.FcgiStdin;
import dev.fcgi.protocol.FcgiStdout;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerDomainSocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.ReferenceCountUtil;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * A scripted FastCGI application for client tests: a Netty server with the record codec that records every record
 * (and the header of every wire record) it receives, and hands each request to the test once its input streams
 * have ended. The test answers with {@link FakeRequest#respond} and friends, from any thread.
 */
final class FakeFcgiServer implements AutoCloseable {

    /** Called on the server's event loop with each request whose input has ended (STDIN, and DATA for FILTER). */
    interface Script {
        void onRequest(FakeRequest request);
    }

    /** What the server does with GET_VALUES. */
    enum GetValuesMode { ANSWER, IGNORE, CLOSE }

    /** The header of one record as it was on the wire. */
    record WireRecord(int version, int type, int requestId, int contentLength, int paddingLength) {
        @Override
        public String toString() {
            return type + "/" + requestId + "/" + contentLength;
        }
    }

    static final long WAIT_SECONDS = 20;

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel serverChannel;
    private final SocketAddress address;
    private final Object monitor = new Object();
    final List<FakeConnection> connections = new CopyOnWriteArrayList<>();
    final LinkedBlockingQueue<FakeRequest> requests = new LinkedBlockingQueue<>();
    volatile Script script;
    volatile Consumer<FakeRequest> onBegin = r -> { };
    volatile Consumer<FakeRequest> onAbort = r -> r.end(0, FcgiProtocolStatus.REQUEST_COMPLETE);
    volatile GetValuesMode getValuesMode = GetValuesMode.ANSWER;
    volatile Map<String, String> getValues = Map.of("FCGI_MPXS_CONNS", "0", "FCGI_MAX_REQS", "1");

    private FakeFcgiServer(SocketAddress bind, boolean unix, Script script) {
        this.script = script;
        ServerBootstrap bootstrap = new ServerBootstrap().group(group)
                .channel(unix ? NioServerDomainSocketChannel.class : NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        FakeConnection connection = new FakeConnection(ch, connections.size() + 1);
                        connections.add(connection);
                        ch.closeFuture().addListener(f -> changed());
                        ch.pipeline().addLast(new Tap(connection), new FcgiRecordDecoder(), FcgiRecordEncoder.INSTANCE,
                                new Handler(connection));
                        changed();
                    }
                });
        serverChannel = bootstrap.bind(bind).syncUninterruptibly().channel();
        address = unix ? bind : serverChannel.localAddress();
    }

    static FakeFcgiServer tcp(Script script) {
        return new FakeFcgiServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), false, script);
    }

    static FakeFcgiServer unix(Path socket, Script script) {
        return new FakeFcgiServer(UnixDomainSocketAddress.of(socket), true, script);
    }

    /** Answers every request with {@code cgi} (headers, blank line, body) and END_REQUEST(0, complete). */
    static Script answering(String cgi) {
        return request -> request.respond(cgi);
    }

    /** Leaves requests unanswered; the test takes them from {@link #nextRequest()}. */
    static Script silent() {
        return request -> { };
    }

    SocketAddress address() {
        return address;
    }

    /** The next request whose input has ended; fails after {@link #WAIT_SECONDS}. */
    FakeRequest nextRequest() throws InterruptedException {
        FakeRequest request = requests.poll(WAIT_SECONDS, TimeUnit.SECONDS);
        if (request == null) {
            throw new AssertionError("the fake server got no request within " + WAIT_SECONDS + " s");
        }
        return request;
    }

    /** Waits (bounded) until {@code condition} holds; it is re-checked whenever the server sees something. */
    void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        synchronized (monitor) {
            while (!condition.getAsBoolean()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("timed out waiting for: " + what + "; connections: " + connections);
                }
                monitor.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            }
        }
    }

    void changed() {
        synchronized (monitor) {
            monitor.notifyAll();
        }
    }

    FakeConnection connection(int index) {
        return connections.get(index - 1);
    }

    @Override
    public void close() {
        serverChannel.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        if (address instanceof UnixDomainSocketAddress unix) {
            try {
                Files.deleteIfExists(unix.getPath());
            } catch (java.io.IOException ignored) {
                // best effort
            }
        }
    }

    /** One accepted connection and what arrived on it. */
    final class FakeConnection {
        final Channel channel;
        final int index;
        final List<String> log = new CopyOnWriteArrayList<>();
        final List<WireRecord> wire = new CopyOnWriteArrayList<>();
        final Map<Integer, FakeRequest> active = new java.util.concurrent.ConcurrentHashMap<>();
        volatile int unwritableEvents;
        /** Run on the event loop whenever the channel becomes writable again. */
        volatile Runnable onWritable;

        FakeConnection(Channel channel, int index) {
            this.channel = channel;
            this.index = index;
        }

        boolean isClosed() {
            return !channel.isOpen();
        }

        /** The wire records received for one request id, as {@code TYPE:length}. */
        List<String> wireOf(int requestId) {
            List<String> out = new ArrayList<>();
            for (WireRecord r : wire) {
                if (r.requestId() == requestId) {
                    out.add(typeName(r.type()) + ":" + r.contentLength());
                }
            }
            return out;
        }

        /** Writes raw bytes (not encoded) and flushes. */
        void writeRaw(byte[] bytes) {
            channel.writeAndFlush(Unpooled.wrappedBuffer(bytes));
        }

        void write(FcgiRecord record) {
            channel.writeAndFlush(record);
        }

        @Override
        public String toString() {
            return "#" + index + (isClosed() ? " (closed)" : "") + " " + log;
        }
    }

    /** One request as the server received it; the answer methods may be called from any thread. */
    final class FakeRequest {
        final FakeConnection connection;
        final int id;
        final int roleCode;
        final boolean keepConn;
        final FcgiNameValueDecoder paramsDecoder = new FcgiNameValueDecoder(new FcgiParameters(), 1 << 24, 100_000);
        final ByteArrayOutputStream stdin = new ByteArrayOutputStream();
        final ByteArrayOutputStream data = new ByteArrayOutputStream();
        final MessageDigest stdinDigest = sha256();
        volatile long stdinLength;
        volatile boolean aborted;
        boolean paramsEnded;
        boolean stdinEnded;

        FakeRequest(FakeConnection connection, int id, int roleCode, boolean keepConn) {
            this.connection = connection;
            this.id = id;
            this.roleCode = roleCode;
            this.keepConn = keepConn;
        }

        FcgiParameters params() {
            return paramsDecoder.params();
        }

        String param(String name) {
            return params().get(name);
        }

        String stdinText() {
            return stdin.toString(StandardCharsets.UTF_8);
        }

        String stdinSha256() {
            return HexFormat.of().formatHex(stdinDigest.digest());
        }

        FakeRequest stdout(String text) {
            return stdout(text.getBytes(StandardCharsets.ISO_8859_1));
        }

        FakeRequest stdout(byte[] bytes) {
            connection.channel.writeAndFlush(new FcgiStdout(id, Unpooled.wrappedBuffer(bytes)));
            return this;
        }

        FakeRequest endStdout() {
            connection.channel.writeAndFlush(FcgiStdout.endOfStream(id));
            return this;
        }

        FakeRequest stderr(String text) {
            connection.channel.writeAndFlush(new FcgiStderr(id,
                    Unpooled.wrappedBuffer(text.getBytes(StandardCharsets.UTF_8))));
            return this;
        }

        FakeRequest end(int appStatus, FcgiProtocolStatus status) {
            connection.active.remove(id, this);
            connection.channel.writeAndFlush(new FcgiEndRequest(id, appStatus, status));
            if (!keepConn) {
                connection.channel.close();
            }
            return this;
        }

        /** STDOUT {@code cgi}, the empty STDOUT, END_REQUEST(0, REQUEST_COMPLETE). */
        void respond(String cgi) {
            stdout(cgi).endStdout().end(0, FcgiProtocolStatus.REQUEST_COMPLETE);
        }

        @Override
        public String toString() {
            return "FakeRequest(" + id + " on #" + connection.index + ')';
        }
    }

    static String typeName(int type) {
        return switch (type) {
            case 1 -> "BEGIN";
            case 2 -> "ABORT";
            case 3 -> "END";
            case 4 -> "PARAMS";
            case 5 -> "STDIN";
            case 6 -> "STDOUT";
            case 7 -> "STDERR";
            case 8 -> "DATA";
            case 9 -> "GET_VALUES";
            case 10 -> "GET_VALUES_RESULT";
            case 11 -> "UNKNOWN_TYPE";
            default -> "TYPE" + type;
        };
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** Records the header of every record on the wire, without keeping content. */
    private final class Tap extends ChannelInboundHandlerAdapter {
        private final FakeConnection connection;
        private final byte[] header = new byte[8];
        private int headerLength;
        private long skip;

        Tap(FakeConnection connection) {
            this.connection = connection;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf in = (ByteBuf) msg;
            for (int i = in.readerIndex(); i < in.writerIndex(); ) {
                if (skip > 0) {
                    int n = (int) Math.min(skip, in.writerIndex() - i);
                    skip -= n;
                    i += n;
                    continue;
                }
                header[headerLength++] = in.getByte(i++);
                if (headerLength == 8) {
                    WireRecord r = new WireRecord(header[0] & 0xFF, header[1] & 0xFF,
                            (header[2] & 0xFF) << 8 | header[3] & 0xFF, (header[4] & 0xFF) << 8 | header[5] & 0xFF,
                            header[6] & 0xFF);
                    connection.wire.add(r);
                    skip = r.contentLength() + r.paddingLength();
                    headerLength = 0;
                }
            }
            ctx.fireChannelRead(msg);
        }
    }

    private final class Handler extends ChannelInboundHandlerAdapter {
        private final FakeConnection connection;

        Handler(FakeConnection connection) {
            this.connection = connection;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                handle((FcgiRecord) msg);
            } finally {
                ReferenceCountUtil.release(msg);
                changed();
            }
        }

        private void handle(FcgiRecord record) {
            switch (record) {
                case FcgiBeginRequest begin -> {
                    connection.log.add("BEGIN " + begin.requestId() + " " + FcgiRole.of(begin.roleCode())
                            + (begin.keepConn() ? " keep" : " close"));
                    FakeRequest request = new FakeRequest(connection, begin.requestId(), begin.roleCode(),
                            begin.keepConn());
                    connection.active.put(begin.requestId(), request);
                    onBegin.accept(request);
                }
                case FcgiParams params -> {
                    FakeRequest r = connection.active.get(params.requestId());
                    if (params.isEndOfStream()) {
                        connection.log.add("PARAMS " + params.requestId() + " end");
                        if (r != null) {
                            r.paramsDecoder.finish();
                            r.paramsEnded = true;
                        }
                    } else if (r != null) {
                        r.paramsDecoder.decode(params.content());
                    }
                }
                case FcgiStdin stdin -> {
                    FakeRequest r = connection.active.get(stdin.requestId());
                    if (stdin.isEndOfStream()) {
                        connection.log.add("STDIN " + stdin.requestId() + " end");
                        if (r != null) {
                            r.stdinEnded = true;
                            if (r.roleCode != FcgiRole.FILTER.code()) {
                                ready(r);
                            }
                        }
                    } else if (r != null) {
                        ByteBuf content = stdin.content();
                        byte[] bytes = new byte[content.readableBytes()];
                        content.getBytes(content.readerIndex(), bytes);
                        r.stdinDigest.update(bytes);
                        r.stdinLength += bytes.length;
                        if (r.stdin.size() < (1 << 20)) {
                            r.stdin.writeBytes(bytes);
                        }
                    }
                }
                case FcgiData data -> {
                    FakeRequest r = connection.active.get(data.requestId());
                    if (data.isEndOfStream()) {
                        connection.log.add("DATA " + data.requestId() + " end");
                        if (r != null) {
                            ready(r);
                        }
                    } else if (r != null) {
                        ByteBuf content = data.content();
                        byte[] bytes = new byte[content.readableBytes()];
                        content.getBytes(content.readerIndex(), bytes);
                        r.data.writeBytes(bytes);
                    }
                }
                case FcgiAbortRequest abort -> {
                    connection.log.add("ABORT " + abort.requestId());
                    FakeRequest r = connection.active.get(abort.requestId());
                    if (r != null) {
                        r.aborted = true;
                        onAbort.accept(r);
                    }
                }
                case FcgiGetValues query -> {
                    connection.log.add("GET_VALUES " + query.names());
                    switch (getValuesMode) {
                        case ANSWER -> {
                            Map<String, String> answer = new java.util.LinkedHashMap<>();
                            for (String name : query.names()) {
                                if (getValues.containsKey(name)) {
                                    answer.put(name, getValues.get(name));
                                }
                            }
                            connection.channel.writeAndFlush(new FcgiGetValuesResult(answer));
                        }
                        case CLOSE -> connection.channel.close();
                        case IGNORE -> {
                        }
                    }
                }
                default -> connection.log.add("OTHER " + record);
            }
        }

        private void ready(FakeRequest request) {
            requests.add(request);
            script.onRequest(request);
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (!ctx.channel().isWritable()) {
                connection.unwritableEvents++;
            } else if (connection.onWritable != null) {
                connection.onWritable.run();
            }
            changed();
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            connection.log.add("ERROR " + cause);
            ctx.close();
        }
    }
}
