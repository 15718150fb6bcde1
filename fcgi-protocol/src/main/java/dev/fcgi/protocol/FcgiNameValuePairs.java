package dev.fcgi.protocol;

import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The name-value pair encoding of PARAMS, GET_VALUES and GET_VALUES_RESULT content: each pair is the name's
 * length, the value's length, the name and the value, where a length up to 127 takes one byte and a longer one
 * four bytes with the high bit set.
 * <pre>
 * nameLengthB0 (0..127)  or  nameLengthB3 (1xxxxxxx) nameLengthB2 nameLengthB1 nameLengthB0
 * valueLengthB0          or  valueLengthB3 (1xxxxxxx) valueLengthB2 valueLengthB1 valueLengthB0
 * nameData[nameLength] valueData[valueLength]
 * </pre>
 * Use {@link FcgiNameValueDecoder} for PARAMS, where a pair may span records.
 *
 * @see <a href="https://fastcgi-archives.github.io/FastCGI_Specification.html#S3.4">FastCGI 1.0, section 3.4</a>
 */
public final class FcgiNameValuePairs {

    /** The longest length encoded in one byte. */
    public static final int MAX_SHORT_LENGTH = 127;

    private FcgiNameValuePairs() {
    }

    /** The number of bytes a length takes: 1 up to 127, else 4. */
    public static int lengthOfLength(int length) {
        return length <= MAX_SHORT_LENGTH ? 1 : 4;
    }

    /** The number of bytes one pair takes on the wire. */
    public static int encodedLength(int nameLength, int valueLength) {
        return lengthOfLength(nameLength) + lengthOfLength(valueLength) + nameLength + valueLength;
    }

    /** Writes one length, in one byte up to 127, else in four with the high bit set. */
    public static void writeLength(ByteBuf out, int length) {
        if (length < 0) {
            throw new IllegalArgumentException("length: " + length + " (expected: >= 0)");
        }
        if (length <= MAX_SHORT_LENGTH) {
            out.writeByte(length);
        } else {
            out.writeInt(length | 0x80000000);
        }
    }

    /** Writes one pair; the name is written as ISO-8859-1, byte for byte. */
    public static void encode(ByteBuf out, String name, byte[] value) {
        writeLength(out, name.length());
        writeLength(out, value.length);
        out.writeCharSequence(name, StandardCharsets.ISO_8859_1);
        out.writeBytes(value);
    }

    /** Writes every pair of {@code params}, in order. */
    public static void encode(ByteBuf out, FcgiParameters params) {
        for (int i = 0; i < params.size(); i++) {
            encode(out, params.name(i), params.valueBytes(i));
        }
    }

    /** Writes the entries of {@code pairs} (names and values as ISO-8859-1), as management records carry them. */
    public static void encode(ByteBuf out, Map<String, String> pairs) {
        for (Map.Entry<String, String> pair : pairs.entrySet()) {
            encode(out, pair.getKey(), pair.getValue().getBytes(StandardCharsets.ISO_8859_1));
        }
    }

    /** The number of bytes {@link #encode(ByteBuf, Map)} writes. */
    public static int encodedLength(Map<String, String> pairs) {
        int length = 0;
        for (Map.Entry<String, String> pair : pairs.entrySet()) {
            length += encodedLength(pair.getKey().length(), pair.getValue().length());
        }
        return length;
    }

    /**
     * Decodes the pairs of one complete record's content, as GET_VALUES and GET_VALUES_RESULT carry them.
     *
     * @throws FcgiProtocolException when a length runs past the end of the content
     */
    public static void decode(ByteBuf content, PairConsumer consumer) {
        while (content.isReadable()) {
            int nameLength = readLength(content);
            int valueLength = readLength(content);
            if ((long) nameLength + valueLength > content.readableBytes()) {
                throw new FcgiProtocolException("name-value pair: lengths " + nameLength + " + " + valueLength
                        + " exceed the " + content.readableBytes() + " bytes left in the record");
            }
            String name = content.readCharSequence(nameLength, StandardCharsets.ISO_8859_1).toString();
            String value = content.readCharSequence(valueLength, StandardCharsets.ISO_8859_1).toString();
            consumer.accept(name, value);
        }
    }

    private static int readLength(ByteBuf content) {
        if (!content.isReadable()) {
            throw new FcgiProtocolException("name-value pair: record ends inside a pair");
        }
        int first = content.getUnsignedByte(content.readerIndex());
        if ((first & 0x80) == 0) {
            content.skipBytes(1);
            return first;
        }
        if (content.readableBytes() < 4) {
            throw new FcgiProtocolException("name-value pair: record ends inside a four-byte length");
        }
        return content.readInt() & 0x7FFFFFFF;
    }

    /** Receives decoded pairs. */
    @FunctionalInterface
    public interface PairConsumer {
        /** Called once per pair, in order. */
        void accept(String name, String value);
    }
}
