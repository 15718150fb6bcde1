package dev.fcgi.protocol.client;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDomainSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.util.concurrent.ThreadFactory;

/**
 * Chooses the channel type for an address and an event loop group: epoll when the group is an epoll group, NIO
 * when it is an NIO group; TCP for an {@link InetSocketAddress}, a Unix domain socket for a Netty
 * {@link DomainSocketAddress} or a JDK {@link UnixDomainSocketAddress} (NIO has supported Unix sockets since
 * Java 16, through {@link NioDomainSocketChannel}).
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
    static EventLoopGroup newGroup(int threads, ThreadFactory threadFactory) {
        return new MultiThreadIoEventLoopGroup(threads, threadFactory,
                Epoll.isAvailable() ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
    }

    static Transport of(EventLoopGroup group, SocketAddress address) {
        boolean epoll = isIoType(group, EpollIoHandler.class);
        if (!epoll && !isIoType(group, NioIoHandler.class)) {
            throw new IllegalArgumentException("unsupported event loop group " + group.getClass().getName()
                    + ": use a MultiThreadIoEventLoopGroup with an NIO or epoll IoHandler");
        }
        if (address instanceof InetSocketAddress) {
            return new Transport(epoll ? EpollSocketChannel::new : NioSocketChannel::new, address, true);
        }
        String path;
        if (address instanceof DomainSocketAddress domain) {
            path = domain.path();
        } else if (address instanceof UnixDomainSocketAddress unix) {
            path = unix.getPath().toString();
        } else {
            throw new IllegalArgumentException("unsupported address " + address + " (" + address.getClass().getName()
                    + "): use an InetSocketAddress, a DomainSocketAddress or a UnixDomainSocketAddress");
        }
        return epoll
                ? new Transport(EpollDomainSocketChannel::new, new DomainSocketAddress(path), false)
                : new Transport(NioDomainSocketChannel::new, UnixDomainSocketAddress.of(path), false);
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
