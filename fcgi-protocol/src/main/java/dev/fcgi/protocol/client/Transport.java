package dev.fcgi.protocol.client;

import dev.fcgi.protocol.FcgiTransport;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;

import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * The channel type and address form for a client's address and event loop group (see {@link FcgiTransport}):
 * epoll or NIO after the group, TCP or a Unix domain socket after the address.
 */
final class Transport {

    private final ChannelFactory<? extends Channel> factory;
    private final SocketAddress remote;
    private final boolean tcp;

    private Transport(ChannelFactory<? extends Channel> factory, SocketAddress remote, boolean tcp) {
        this.factory = factory;
        this.remote = remote;
        this.tcp = tcp;
    }

    /** A group for a client that brings none: epoll when available, NIO otherwise. */
    static EventLoopGroup newGroup(int threads, String threadNamePrefix) {
        return FcgiTransport.newEventLoopGroup(threads, threadNamePrefix);
    }

    static Transport of(EventLoopGroup group, SocketAddress address) {
        if (!isIoType(group, EpollIoHandler.class) && !isIoType(group, NioIoHandler.class)) {
            throw new IllegalArgumentException("unsupported event loop group " + group.getClass().getName()
                    + ": use a MultiThreadIoEventLoopGroup with an NIO or epoll IoHandler");
        }
        boolean tcp = address instanceof InetSocketAddress;
        if (!tcp && FcgiTransport.unixPath(address) == null) {
            throw new IllegalArgumentException("unsupported address " + address + " (" + address.getClass().getName()
                    + "): use an InetSocketAddress, a DomainSocketAddress or a UnixDomainSocketAddress");
        }
        return new Transport(FcgiTransport.channelFactory(group, address),
                FcgiTransport.transportAddress(group, address), tcp);
    }

    private static boolean isIoType(EventLoopGroup group, Class<? extends io.netty.channel.IoHandler> type) {
        try {
            return group instanceof IoEventLoopGroup io && io.isIoType(type);
        } catch (LinkageError e) {
            return false;
        }
    }

    /** A bootstrap for one connection on {@code loop}; the caller adds the handler. */
    Bootstrap bootstrap(EventLoop loop, int connectTimeoutMillis) {
        Bootstrap bootstrap = new Bootstrap().group(loop).channelFactory(factory)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMillis);
        if (tcp) {
            bootstrap.option(ChannelOption.TCP_NODELAY, true);
        }
        return bootstrap;
    }

    SocketAddress remote() {
        return remote;
    }
}
