package dev.fcgi.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Decodes bytes into {@link FcgiRecord}s, for either side of a connection.
 *
 * <p>The 8-byte header is checked as soon as it is readable: the version must be 1, BEGIN_REQUEST, END_REQUEST and
 * UNKNOWN_TYPE bodies must be 8 bytes and ABORT_REQUEST's empty, and application records must not use request id
 * 0. A violation throws {@link FcgiProtocolException}; the decoder then discards everything until the channel
 * closes, since the framing is lost.
 *
 * <p>Stream content (PARAMS, STDIN, STDOUT, STDERR, DATA) is handed on as retained slices of the input, as soon as
 * it arrives: a 64 KiB record read in pieces becomes several stream records, and no content is ever copied or
 * waited for. An empty stream record is only emitted for an empty wire record, so it always means end of stream.
 * Padding is skipped whatever its value. Records of a type FastCGI 1.0 does not define become
 * {@link FcgiUnrecognizedRecord}, their content skipped. A record is at most 8 + 65535 + 255 bytes, so the decoder
 * needs no limits of its own.
 *
 * @see <a href="https://fastcgi-archives.github.io/FastCGI_Specification.html#S3.3">FastCGI 1.0, section 3.3</a>
 */
public class FcgiRecordDecoder extends ByteToMessageDecoder {

    private enum State { HEADER, FIXED_CONTENT, STREAM_CONTENT, SKIP_CONTENT, PADDING, DISCARD }

    private State state = State.HEADER;
    private int typeCode;
    private FcgiRecordType type;
    private int requestId;
    private int contentLeft;
    private int paddingLeft;

    /** Creates a decoder for one connection (it keeps the state of the record being read). */
    public FcgiRecordDecoder() {
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        try {
            for (;;) {
                switch (state) {
                    case HEADER -> {
                        if (in.readableBytes() < FcgiConstants.HEADER_LENGTH) {
                            return;
                        }
                        readHeader(in, out);
                    }
                    case FIXED_CONTENT -> {
                        if (in.readableBytes() < contentLeft) {
                            return;
                        }
                        out.add(readFixedContent(in.readSlice(contentLeft)));
                        contentLeft = 0;
                        state = State.PADDING;
                    }
                    case STREAM_CONTENT -> {
                        int n = Math.min(contentLeft, in.readableBytes());
                        if (n == 0) {
                            return;
                        }
                        out.add(streamRecord(in.readRetainedSlice(n)));
                        contentLeft -= n;
                        if (contentLeft == 0) {
                            state = State.PADDING;
                        }
                    }
                    case SKIP_CONTENT -> {
                        int n = Math.min(contentLeft, in.readableBytes());
                        in.skipBytes(n);
                        contentLeft -= n;
                        if (contentLeft > 0) {
                            return;
                        }
                        state = State.PADDING;
                    }
                    case PADDING -> {
                        int n = Math.min(paddingLeft, in.readableBytes());
                        in.skipBytes(n);
                        paddingLeft -= n;
                        if (paddingLeft > 0) {
                            return;
                        }
                        state = State.HEADER;
                    }
                    case DISCARD -> {
                        in.skipBytes(in.readableBytes());
                        return;
                    }
                }
            }
        } catch (FcgiProtocolException e) {
            state = State.DISCARD;
            in.skipBytes(in.readableBytes());
            throw e;
        }
    }

    @Override
    protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        decode(ctx, in, out);
        if (state != State.DISCARD && (state != State.HEADER || in.isReadable())) {
            int partial = in.readableBytes();
            // In HEADER, type and requestId still describe the previous record, which was complete.
            String where = state == State.HEADER
                    ? " header (" + partial + " of " + FcgiConstants.HEADER_LENGTH + " bytes)"
                    : " (" + (type == null ? "type " + typeCode : type) + ", request " + requestId + ')';
            state = State.DISCARD;
            in.skipBytes(partial);
            throw new FcgiProtocolException("connection closed inside a record" + where);
        }
    }

    private void readHeader(ByteBuf in, List<Object> out) {
        int version = in.readUnsignedByte();
        if (version != FcgiConstants.VERSION_1) {
            throw new FcgiProtocolException("version: " + version + " (expected: 1)");
        }
        typeCode = in.readUnsignedByte();
        requestId = in.readUnsignedShort();
        contentLeft = in.readUnsignedShort();
        paddingLeft = in.readUnsignedByte();
        in.skipBytes(1); // reserved
        type = FcgiRecordType.of(typeCode);
        if (type == null) {
            out.add(new FcgiUnrecognizedRecord(requestId, typeCode));
            state = State.SKIP_CONTENT;
            return;
        }
        boolean management = type == FcgiRecordType.GET_VALUES || type == FcgiRecordType.GET_VALUES_RESULT
                || type == FcgiRecordType.UNKNOWN_TYPE;
        if (!management && requestId == FcgiConstants.NULL_REQUEST_ID) {
            throw new FcgiProtocolException(type + " with request id 0 (reserved for management records)");
        }
        switch (type) {
            case BEGIN_REQUEST, END_REQUEST, UNKNOWN_TYPE -> checkContentLength(8);
            case ABORT_REQUEST -> checkContentLength(0);
            default -> {
            }
        }
        if (!type.isStream()) {
            state = State.FIXED_CONTENT;
        } else if (contentLeft == 0) {
            out.add(streamRecord(in.alloc().buffer(0, 0)));
            state = State.PADDING;
        } else {
            state = State.STREAM_CONTENT;
        }
    }

    private void checkContentLength(int expected) {
        if (contentLeft != expected) {
            throw new FcgiProtocolException(type + " content length: " + contentLeft + " (expected: " + expected + ')');
        }
    }

    private FcgiStreamRecord streamRecord(ByteBuf content) {
        return switch (type) {
            case PARAMS -> new FcgiParams(requestId, content);
            case STDIN -> new FcgiStdin(requestId, content);
            case STDOUT -> new FcgiStdout(requestId, content);
            case STDERR -> new FcgiStderr(requestId, content);
            case DATA -> new FcgiData(requestId, content);
            default -> throw new AssertionError(type);
        };
    }

    private FcgiRecord readFixedContent(ByteBuf content) {
        return switch (type) {
            case BEGIN_REQUEST -> new FcgiBeginRequest(requestId, content.readUnsignedShort(), content.readUnsignedByte());
            case ABORT_REQUEST -> new FcgiAbortRequest(requestId);
            case END_REQUEST -> {
                int appStatus = content.readInt();
                int code = content.readUnsignedByte();
                FcgiProtocolStatus status = FcgiProtocolStatus.of(code);
                if (status == null) {
                    throw new FcgiProtocolException("END_REQUEST protocol status: " + code + " (expected: 0 to 3)");
                }
                yield new FcgiEndRequest(requestId, appStatus, status);
            }
            case GET_VALUES -> {
                List<String> names = new ArrayList<>(3);
                FcgiNameValuePairs.decode(content, (name, value) -> names.add(name));
                yield new FcgiGetValues(requestId, names);
            }
            case GET_VALUES_RESULT -> {
                Map<String, String> values = new LinkedHashMap<>();
                FcgiNameValuePairs.decode(content, values::put);
                yield new FcgiGetValuesResult(requestId, values);
            }
            case UNKNOWN_TYPE -> new FcgiUnknownType(requestId, content.readUnsignedByte());
            default -> throw new AssertionError(type);
        };
    }
}
