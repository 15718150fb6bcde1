package dev.fcgi.protocol.server;

import dev.fcgi.protocol.FcgiTransport;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ServerChannel;
import io.netty.channel.group.ChannelGroup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.List;

/**
 * Sits on the listening channels: closes connections from addresses that are not allowed, counts connections,
 * and stops accepting while the server has its maximum (the kernel's backlog holds new ones meanwhile), resuming
 * when a connection closes.
 */
@Sharable
final class AcceptLimiter extends ChannelInboundHandlerAdapter {

    private static final Logger logger = LoggerFactory.getLogger(AcceptLimiter.class);

    private final ServerConfig config;
    private final ServerCounters counters;
    private final List<ServerChannel> serverChannels;
    private final ChannelGroup connections;

    AcceptLimiter(ServerConfig config, ServerCounters counters, List<ServerChannel> serverChannels,
                  ChannelGroup connections) {
        this.config = config;
        this.counters = counters;
        this.serverChannels = serverChannels;
        this.connections = connections;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        Channel child = (Channel) msg;
        if (!isAllowed(child)) {
            logger.warn("connection from {} refused: not in the allowed clients {}",
                    FcgiTransport.formatAddress(child.remoteAddress()), config.allowedClients());
            child.unsafe().closeForcibly();
            return;
        }
        int open = counters.connectionOpened();
        if (open >= config.maxConnections()) {
            setAccepting(false);
        }
        if (open > config.maxConnections()) {
            counters.connectionClosed();
            logger.warn("connection from {} refused: {} connections open (max connections)",
                    FcgiTransport.formatAddress(child.remoteAddress()), config.maxConnections());
            child.unsafe().closeForcibly();
            return;
        }
        child.closeFuture().addListener(f -> {
            if (counters.connectionClosed() < config.maxConnections()) {
                setAccepting(true);
            }
        });
        connections.add(child);
        ctx.fireChannelRead(msg);
    }

    private boolean isAllowed(Channel child) {
        if (config.allowedClients().isEmpty() || !(child.remoteAddress() instanceof InetSocketAddress remote)) {
            return true;
        }
        for (AllowedClient allowed : config.allowedClients()) {
            if (allowed.matches(remote.getAddress())) {
                return true;
            }
        }
        return false;
    }

    private void setAccepting(boolean accepting) {
        for (ServerChannel channel : serverChannels) {
            if (channel.config().isAutoRead() != accepting) {
                channel.config().setAutoRead(accepting);
            }
        }
    }
}
