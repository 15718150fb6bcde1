package dev.fcgi.protocol.client;

import dev.fcgi.protocol.FcgiGetValues;
import dev.fcgi.protocol.FcgiGetValuesResult;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Sends one GET_VALUES query on a dedicated connection, completes with the GET_VALUES_RESULT and closes the
 * connection. php-fpm and php-cgi close a connection after answering GET_VALUES (php-src#12387), which is why the
 * query never runs on a pooled connection.
 */
final class GetValuesHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(GetValuesHandler.class);

    private final List<String> names;
    private final CompletableFuture<Map<String, String>> result;
    private final long timeoutNanos;
    private final Object address;
    private ScheduledFuture<?> timer;

    GetValuesHandler(List<String> names, CompletableFuture<Map<String, String>> result, long timeoutNanos,
                     Object address) {
        this.names = names;
        this.result = result;
        this.timeoutNanos = timeoutNanos;
        this.address = address;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        timer = ctx.executor().schedule(() -> {
            if (result.completeExceptionally(new FcgiTimeoutException("no GET_VALUES_RESULT from " + address
                    + " within " + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms"))) {
                ctx.close();
            }
        }, timeoutNanos, TimeUnit.NANOSECONDS);
        ctx.writeAndFlush(new FcgiGetValues(names)).addListener(f -> {
            if (!f.isSuccess()) {
                result.completeExceptionally(new FcgiClientException("cannot send GET_VALUES to " + address + ": "
                        + f.cause(), f.cause()));
                ctx.close();
            }
        });
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof FcgiGetValuesResult answer) {
            log.debug("GET_VALUES_RESULT from {}: {}", address, answer.values());
            result.complete(answer.values());
            ctx.close();
            return;
        }
        log.debug("ignoring {} on the GET_VALUES connection to {}", msg, address);
        ReferenceCountUtil.release(msg);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        result.completeExceptionally(new FcgiClientException("GET_VALUES to " + address + " failed: " + cause, cause));
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (timer != null) {
            timer.cancel(false);
        }
        result.completeExceptionally(new FcgiClientException("connection to " + address
                + " closed before a GET_VALUES_RESULT arrived"));
        ctx.fireChannelInactive();
    }
}
