package dev.fcgi.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * FCGI_STDERR: a piece of the application's error output for the request. An empty record ends the stream.
 *
 * @see <a href="https://fastcgi-archives.github.io/FastCGI_Specification.html#S5.3">FastCGI 1.0, section 5.3</a>
 */
public final class FcgiStderr extends FcgiStreamRecord {

    /** A record of request {@code requestId} holding {@code content}; it takes over the caller's reference. */
    public FcgiStderr(int requestId, ByteBuf content) {
        super(requestId, content);
    }

    /** The empty record that ends the stream of request {@code requestId}. */
    public static FcgiStderr endOfStream(int requestId) {
        return new FcgiStderr(requestId, Unpooled.EMPTY_BUFFER);
    }

    @Override
    public FcgiRecordType type() {
        return FcgiRecordType.STDERR;
    }

    @Override
    public FcgiStderr replace(ByteBuf content) {
        return new FcgiStderr(requestId(), content);
    }

    @Override
    public FcgiStderr copy() {
        return (FcgiStderr) super.copy();
    }

    @Override
    public FcgiStderr duplicate() {
        return (FcgiStderr) super.duplicate();
    }

    @Override
    public FcgiStderr retainedDuplicate() {
        return (FcgiStderr) super.retainedDuplicate();
    }

    @Override
    public FcgiStderr retain() {
        super.retain();
        return this;
    }

    @Override
    public FcgiStderr retain(int increment) {
        super.retain(increment);
        return this;
    }

    @Override
    public FcgiStderr touch() {
        super.touch();
        return this;
    }

    @Override
    public FcgiStderr touch(Object hint) {
        super.touch(hint);
        return this;
    }
}
