package dev.fcgi.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * FCGI_DATA: a piece of the file a FILTER request filters. An empty record ends the stream.
 *
 * @see <a href="https://fastcgi-archives.github.io/FastCGI_Specification.html#S5.3">FastCGI 1.0, section 5.3</a>
 */
public final class FcgiData extends FcgiStreamRecord {

    /** A record of request {@code requestId} holding {@code content}; it takes over the caller's reference. */
    public FcgiData(int requestId, ByteBuf content) {
        super(requestId, content);
    }

    /** The empty record that ends the stream of request {@code requestId}. */
    public static FcgiData endOfStream(int requestId) {
        return new FcgiData(requestId, Unpooled.EMPTY_BUFFER);
    }

    @Override
    public FcgiRecordType type() {
        return FcgiRecordType.DATA;
    }

    @Override
    public FcgiData replace(ByteBuf content) {
        return new FcgiData(requestId(), content);
    }

    @Override
    public FcgiData copy() {
        return (FcgiData) super.copy();
    }

    @Override
    public FcgiData duplicate() {
        return (FcgiData) super.duplicate();
    }

    @Override
    public FcgiData retainedDuplicate() {
        return (FcgiData) super.retainedDuplicate();
    }

    @Override
    public FcgiData retain() {
        super.retain();
        return this;
    }

    @Override
    public FcgiData retain(int increment) {
        super.retain(increment);
        return this;
    }

    @Override
    public FcgiData touch() {
        super.touch();
        return this;
    }

    @Override
    public FcgiData touch(Object hint) {
        super.touch(hint);
        return this;
    }
}
