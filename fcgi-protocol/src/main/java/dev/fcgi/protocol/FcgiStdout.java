package dev.fcgi.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * FCGI_STDOUT: a piece of the response (CGI headers, a blank line, the body). An empty record ends the stream.
 *
 * @see <a href="https://fastcgi-archives.github.io/FastCGI_Specification.html#S5.3">FastCGI 1.0, section 5.3</a>
 */
public final class FcgiStdout extends FcgiStreamRecord {

    /** A record of request {@code requestId} holding {@code content}; it takes over the caller's reference. */
    public FcgiStdout(int requestId, ByteBuf content) {
        super(requestId, content);
    }

    /** The empty record that ends the stream of request {@code requestId}. */
    public static FcgiStdout endOfStream(int requestId) {
        return new FcgiStdout(requestId, Unpooled.EMPTY_BUFFER);
    }

    @Override
    public FcgiRecordType type() {
        return FcgiRecordType.STDOUT;
    }

    @Override
    public FcgiStdout replace(ByteBuf content) {
        return new FcgiStdout(requestId(), content);
    }

    @Override
    public FcgiStdout copy() {
        return (FcgiStdout) super.copy();
    }

    @Override
    public FcgiStdout duplicate() {
        return (FcgiStdout) super.duplicate();
    }

    @Override
    public FcgiStdout retainedDuplicate() {
        return (FcgiStdout) super.retainedDuplicate();
    }

    @Override
    public FcgiStdout retain() {
        super.retain();
        return this;
    }

    @Override
    public FcgiStdout retain(int increment) {
        super.retain(increment);
        return this;
    }

    @Override
    public FcgiStdout touch() {
        super.touch();
        return this;
    }

    @Override
    public FcgiStdout touch(Object hint) {
        super.touch(hint);
        return this;
    }
}
