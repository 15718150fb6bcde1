package dev.fcgi.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * FCGI_STDIN: a piece of the request body. An empty record ends the stream.
 *
 * @see <a href="https://fastcgi-archives.github.io/FastCGI_Specification.html#S5.3">FastCGI 1.0, section 5.3</a>
 */
public final class FcgiStdin extends FcgiStreamRecord {

    /** A record of request {@code requestId} holding {@code content}; it takes over the caller's reference. */
    public FcgiStdin(int requestId, ByteBuf content) {
        super(requestId, content);
    }

    /** The empty record that ends the stream of request {@code requestId}. */
    public static FcgiStdin endOfStream(int requestId) {
        return new FcgiStdin(requestId, Unpooled.EMPTY_BUFFER);
    }

    @Override
    public FcgiRecordType type() {
        return FcgiRecordType.STDIN;
    }

    @Override
    public FcgiStdin replace(ByteBuf content) {
        return new FcgiStdin(requestId(), content);
    }

    @Override
    public FcgiStdin copy() {
        return (FcgiStdin) super.copy();
    }

    @Override
    public FcgiStdin duplicate() {
        return (FcgiStdin) super.duplicate();
    }

    @Override
    public FcgiStdin retainedDuplicate() {
        return (FcgiStdin) super.retainedDuplicate();
    }

    @Override
    public FcgiStdin retain() {
        super.retain();
        return this;
    }

    @Override
    public FcgiStdin retain(int increment) {
        super.retain(increment);
        return this;
    }

    @Override
    public FcgiStdin touch() {
        super.touch();
        return this;
    }

    @Override
    public FcgiStdin touch(Object hint) {
        super.touch(hint);
        return this;
    }
}
