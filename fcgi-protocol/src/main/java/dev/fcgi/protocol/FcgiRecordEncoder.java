package dev.fcgi.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;

import java.util.List;

/**
 * Encodes {@link FcgiRecord}s into bytes. Stream content is not copied: each wire record goes out as an 8-byte
 * header buffer, a retained slice of the content and a shared slice of zeros for the padding; only content of at
 * most {@value #COPY_CONTENT_THRESHOLD} bytes is copied into the header's buffer. Content longer
 * than 65535 bytes is split into several records; every record is padded to a multiple of 8 bytes, as the
 * specification recommends. Stateless, so one {@link #INSTANCE} serves every channel.
 *
 * <p>Records stay whole on the wire however many threads write to a channel, because the channel's event loop
 * runs this encoder one message at a time.
 *
 * @see <a href="https://fastcgi-archives.github.io/FastCGI_Specification.html#S3.3">FastCGI 1.0, section 3.3</a>
 */
@Sharable
public final class FcgiRecordEncoder extends MessageToMessageEncoder<FcgiRecord> {

    /** The shared instance. */
    public static final FcgiRecordEncoder INSTANCE = new FcgiRecordEncoder();

    /**
     * Stream content up to this many bytes is copied behind its header into one buffer: cheaper than a slice and
     * a padding slice, and one gather-write entry instead of three (Netty's HTTP encoder does the same).
     */
    static final int COPY_CONTENT_THRESHOLD = 512;

    private static final ByteBuf ZEROS = Unpooled.unreleasableBuffer(
            Unpooled.wrappedBuffer(new byte[8]).asReadOnly());

    private FcgiRecordEncoder() {
        super(FcgiRecord.class);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, FcgiRecord record, List<Object> out) {
        encode(ctx.alloc(), record, out);
    }

    /** Encodes {@code record} into buffers from {@code alloc}, added to {@code out}; the caller owns them. */
    void encode(ByteBufAllocator alloc, FcgiRecord record, List<Object> out) {
        switch (record) {
            case FcgiStreamRecord stream -> encodeStream(alloc, stream, out);
            case FcgiBeginRequest begin -> {
                ByteBuf buf = header(alloc, FcgiRecordType.BEGIN_REQUEST, begin.requestId(), 8, 8);
                buf.writeShort(begin.roleCode()).writeByte(begin.flags()).writeZero(5);
                out.add(buf);
            }
            case FcgiAbortRequest abort -> out.add(header(alloc, FcgiRecordType.ABORT_REQUEST, abort.requestId(), 0, 0));
            case FcgiEndRequest end -> {
                ByteBuf buf = header(alloc, FcgiRecordType.END_REQUEST, end.requestId(), 8, 8);
                buf.writeInt(end.appStatus()).writeByte(end.protocolStatus().code()).writeZero(3);
                out.add(buf);
            }
            case FcgiUnknownType unknown -> {
                ByteBuf buf = header(alloc, FcgiRecordType.UNKNOWN_TYPE, unknown.requestId(), 8, 8);
                buf.writeByte(unknown.type()).writeZero(7);
                out.add(buf);
            }
            case FcgiGetValues query -> {
                int length = 0;
                for (String name : query.names()) {
                    length += FcgiNameValuePairs.encodedLength(name.length(), 0);
                }
                ByteBuf buf = header(alloc, FcgiRecordType.GET_VALUES, query.requestId(), checkLength(length), length);
                for (String name : query.names()) {
                    FcgiNameValuePairs.encode(buf, name, new byte[0]);
                }
                out.add(pad(buf, length));
            }
            case FcgiGetValuesResult result -> {
                int length = FcgiNameValuePairs.encodedLength(result.values());
                ByteBuf buf = header(alloc, FcgiRecordType.GET_VALUES_RESULT, result.requestId(), checkLength(length),
                        length);
                FcgiNameValuePairs.encode(buf, result.values());
                out.add(pad(buf, length));
            }
            case FcgiUnrecognizedRecord unrecognized -> {
                ByteBuf buf = alloc.ioBuffer(FcgiConstants.HEADER_LENGTH);
                buf.writeByte(FcgiConstants.VERSION_1).writeByte(unrecognized.type())
                        .writeShort(unrecognized.requestId()).writeInt(0);
                out.add(buf);
            }
        }
    }

    private static void encodeStream(ByteBufAllocator alloc, FcgiStreamRecord record, List<Object> out) {
        ByteBuf content = record.content();
        int readable = content.readableBytes();
        if (readable == 0) {
            out.add(header(alloc, record.type(), record.requestId(), 0, 0));
            return;
        }
        int index = content.readerIndex();
        if (readable <= COPY_CONTENT_THRESHOLD) {
            int padding = paddingFor(readable);
            ByteBuf buf = alloc.ioBuffer(FcgiConstants.HEADER_LENGTH + readable + padding);
            writeHeader(buf, record.type(), record.requestId(), readable, padding);
            out.add(buf.writeBytes(content, index, readable).writeZero(padding));
            return;
        }
        while (readable > 0) {
            int length = Math.min(readable, FcgiConstants.MAX_CONTENT_LENGTH);
            int padding = paddingFor(length);
            ByteBuf header = alloc.ioBuffer(FcgiConstants.HEADER_LENGTH);
            writeHeader(header, record.type(), record.requestId(), length, padding);
            out.add(header);
            out.add(content.retainedSlice(index, length));
            if (padding > 0) {
                out.add(ZEROS.slice(0, padding));
            }
            index += length;
            readable -= length;
        }
    }

    private static int checkLength(int length) {
        if (length > FcgiConstants.MAX_CONTENT_LENGTH) {
            throw new IllegalArgumentException("management record content: " + length + " bytes (max: 65535)");
        }
        return length;
    }

    /** Allocates a buffer for a whole record and writes its header, leaving room for content and padding. */
    private static ByteBuf header(ByteBufAllocator alloc, FcgiRecordType type, int requestId, int contentLength,
                                  int capacityContent) {
        int padding = paddingFor(contentLength);
        ByteBuf buf = alloc.ioBuffer(FcgiConstants.HEADER_LENGTH + capacityContent + padding);
        writeHeader(buf, type, requestId, contentLength, padding);
        return buf;
    }

    private static ByteBuf pad(ByteBuf buf, int contentLength) {
        return buf.writeZero(paddingFor(contentLength));
    }

    private static void writeHeader(ByteBuf buf, FcgiRecordType type, int requestId, int contentLength, int padding) {
        buf.writeByte(FcgiConstants.VERSION_1)
                .writeByte(type.code())
                .writeShort(requestId)
                .writeShort(contentLength)
                .writeByte(padding)
                .writeByte(0);
    }

    /** The padding that brings a record with {@code contentLength} bytes of content to a multiple of 8. */
    static int paddingFor(int contentLength) {
        return -contentLength & 7;
    }
}
