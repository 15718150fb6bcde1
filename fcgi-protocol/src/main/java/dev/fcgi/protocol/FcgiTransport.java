package dev.fcgi.protocol;


import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDomainSocketChannel;
import io.netty.channel.socket.nio.NioServerDomainSocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channel;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;

/**
 * Picks Netty's transport: the native epoll transport on Linux when it loads, NIO otherwise; TCP (IPv4 and IPv6)
 * and Unix domain sockets on both. Addresses are written as php-fpm's {@code listen} directive writes them.
 */
public final class FcgiTransport {

    private FcgiTransport() {
    }

    /** Whether the native epoll transport is available on this machine. */
    public static boolean isEpollAvailable() {
        return Epoll.isAvailable();
    }

    /** A new event loop group with {@code threads} threads (0: Netty's default), epoll when available. */
    public static EventLoopGroup newEventLoopGroup(int threads, String threadNamePrefix) {
        DefaultThreadFactory threadFactory = new DefaultThreadFactory(threadNamePrefix, true);
        return new MultiThreadIoEventLoopGroup(threads, threadFactory,
                isEpollAvailable() ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
    }

    /**
     * Parses an address as php-fpm's {@code listen} takes it: {@code 127.0.0.1:9000}, {@code [::1]:9000},
     * {@code 9000} (every address), {@code /run/app.sock} or {@code unix:/run/app.sock} (a Unix domain socket).
     *
     * @throws IllegalArgumentException when the text is none of these
     */
    public static SocketAddress parseAddress(String text) {
        String value = text.strip();
        if (value.startsWith("unix:")) {
            return UnixDomainSocketAddress.of(value.substring("unix:".length()));
        }
        if (value.startsWith("/")) {
            return UnixDomainSocketAddress.of(value);
        }
        int colon = value.lastIndexOf(':');
        String host = colon < 0 ? null : value.substring(0, colon);
        String port = colon < 0 ? value : value.substring(colon + 1);
        int portNumber;
        try {
            portNumber = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("address: '" + text
                    + "' (expected: host:port, [ipv6]:port, port, /path/to.sock or unix:/path/to.sock)");
        }
        if (portNumber < 0 || portNumber > 0xFFFF) {
            throw new IllegalArgumentException("address: '" + text + "': port " + portNumber + " out of range");
        }
        if (host == null || host.isEmpty() || host.equals("*")) {
            return new InetSocketAddress(portNumber);
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return new InetSocketAddress(host, portNumber);
    }

    /** Formats an address the way {@link #parseAddress(String)} reads it. */
    public static String formatAddress(SocketAddress address) {
        if (address instanceof InetSocketAddress inet) {
            String host = inet.getAddress() == null ? inet.getHostString() : inet.getAddress().getHostAddress();
            return (host.contains(":") ? '[' + host + ']' : host) + ':' + inet.getPort();
        }
        Path path = unixPath(address);
        return path != null ? "unix:" + path : String.valueOf(address);
    }

    /** The path of a Unix domain socket address (JDK's or Netty's), or {@code null} for another address. */
    public static Path unixPath(SocketAddress address) {
        if (address instanceof UnixDomainSocketAddress unix) {
            return unix.getPath();
        }
        if (address instanceof DomainSocketAddress domain) {
            return Path.of(domain.path());
        }
        return null;
    }

    /** A factory of server channels suited to {@code group} and {@code address}. */
    public static ChannelFactory<ServerChannel> serverChannelFactory(EventLoopGroup group, SocketAddress address) {
        boolean unix = unixPath(address) != null;
        if (isEpoll(group)) {
            return unix ? EpollServerDomainSocketChannel::new : EpollServerSocketChannel::new;
        }
        return unix ? NioServerDomainSocketChannel::new : NioServerSocketChannel::new;
    }

    /** A factory of client channels suited to {@code group} and {@code address}. */
    public static ChannelFactory<io.netty.channel.Channel> channelFactory(EventLoopGroup group, SocketAddress address) {
        boolean unix = unixPath(address) != null;
        if (isEpoll(group)) {
            return unix ? EpollDomainSocketChannel::new : EpollSocketChannel::new;
        }
        return unix ? NioDomainSocketChannel::new : NioSocketChannel::new;
    }

    /** {@code address} in the form the transport of {@code group} binds or connects to. */
    public static SocketAddress transportAddress(EventLoopGroup group, SocketAddress address) {
        Path path = unixPath(address);
        if (path == null) {
            return address;
        }
        return isEpoll(group) ? new DomainSocketAddress(path.toString()) : UnixDomainSocketAddress.of(path);
    }

    /**
     * The listening socket a web server passed as file descriptor 0 ({@code FCGI_LISTENSOCK_FILENO}), as a Netty
     * server channel for {@code group}, or {@code null} when standard input is not a listening socket.
     */
    public static ServerChannel inheritedServerChannel(EventLoopGroup group) throws IOException {
        Channel inherited = System.inheritedChannel();
        if (!(inherited instanceof ServerSocketChannel server)) {
            return null;
        }
        boolean unix = server.getLocalAddress() instanceof UnixDomainSocketAddress;
        if (isEpoll(group)) {
            return unix ? new EpollServerDomainSocketChannel(FcgiConstants.LISTENSOCK_FILENO)
                    : new EpollServerSocketChannel(FcgiConstants.LISTENSOCK_FILENO);
        }
        return unix ? new NioServerDomainSocketChannel(server) : new NioServerSocketChannel(server);
    }

    private static boolean isEpoll(EventLoopGroup group) {
        return group instanceof IoEventLoopGroup io && io.isIoType(EpollIoHandler.class);
    }
}
