package dev.fcgi.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * FCGI_PARAMS: a piece of the request's name-value pairs (CGI variables); a pair may span records. An empty record ends the stream.
 *
 * @see <a href="https://fastcgi-archives.github.io/FastCGI_Specification.html#S5.2">FastCGI 1.0, section 5.2</a>
 */
public final class FcgiParams extends FcgiStreamRecord {

    /** A record of request {@code requestId} holding {@code content}; it takes over the caller's reference. */
    public FcgiParams(int requestId, ByteBuf content) {
        super(requestId, content);
    }

    /** The empty record that ends the stream of request {@code requestId}. */
    public static FcgiParams endOfStream(int requestId) {
        return new FcgiParams(requestId, Unpooled.EMPTY_BUFFER);
    }

    @Override
    public FcgiRecordType type() {
        return FcgiRecordType.PARAMS;
    }

    @Override
    public FcgiParams replace(ByteBuf content) {
        return new FcgiParams(requestId(), content);
    }

    @Override
    public FcgiParams copy() {
        return (FcgiParams) super.copy();
    }

    @Override
    public FcgiParams duplicate() {
        return (FcgiParams) super.duplicate();
    }

    @Override
    public FcgiParams retainedDuplicate() {
        return (FcgiParams) super.retainedDuplicate();
    }

    @Override
    public FcgiParams retain() {
        super.retain();
        return this;
    }

    @Override
    public FcgiParams retain(int increment) {
        super.retain(increment);
        return this;
    }

    @Override
    public FcgiParams touch() {
        super.touch();
        return this;
    }

    @Override
    public FcgiParams touch(Object hint) {
        super.touch(hint);
        return this;
    }
}
