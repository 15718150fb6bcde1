package dev.fcgi.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;

/**
 * A record of one of the five byte streams: PARAMS, STDIN, DATA (to the application), STDOUT, STDERR (from it).
 * The content is held without copying; an empty record ends its stream. The decoder may hand one wire record on
 * as several stream records (as the bytes arrive), and the encoder splits content longer than 65535 bytes into
 * several wire records: a stream's value never depends on how its bytes are split.
 *
 * @see <a href="https://fastcgi-archives.github.io/FastCGI_Specification.html#S3.3">FastCGI 1.0, section 3.3</a>
 */
public abstract sealed class FcgiStreamRecord extends DefaultByteBufHolder implements FcgiRecord
        permits FcgiParams, FcgiStdin, FcgiStdout, FcgiStderr, FcgiData {

    private final int requestId;

    FcgiStreamRecord(int requestId, ByteBuf content) {
        super(content);
        FcgiCodecUtil.checkRequestId(requestId);
        this.requestId = requestId;
    }

    @Override
    public final int requestId() {
        return requestId;
    }

    /** The stream this record belongs to. */
    public abstract FcgiRecordType type();

    /** Whether this record ends its stream, that is whether its content is empty. */
    public final boolean isEndOfStream() {
        return !content().isReadable();
    }

    @Override
    public abstract FcgiStreamRecord replace(ByteBuf content);

    @Override
    public FcgiStreamRecord copy() {
        return replace(content().copy());
    }

    @Override
    public FcgiStreamRecord duplicate() {
        return replace(content().duplicate());
    }

    @Override
    public FcgiStreamRecord retainedDuplicate() {
        return replace(content().retainedDuplicate());
    }

    @Override
    public FcgiStreamRecord retain() {
        super.retain();
        return this;
    }

    @Override
    public FcgiStreamRecord retain(int increment) {
        super.retain(increment);
        return this;
    }

    @Override
    public FcgiStreamRecord touch() {
        super.touch();
        return this;
    }

    @Override
    public FcgiStreamRecord touch(Object hint) {
        super.touch(hint);
        return this;
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "(requestId: " + requestId + ", content: "
                + (refCnt() > 0 ? content().readableBytes() + " bytes" : "released") + ')';
    }
}
