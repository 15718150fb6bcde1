package dev.fcgi.protocol;

import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;

/**
 * Decodes the PARAMS stream of one request into {@link FcgiParameters}, record by record. A pair may span
 * records at any byte, even inside a four-byte length; the decoder keeps the partial pair (never a reference to
 * the record's buffer) until the rest arrives. Every length is checked against the limits <em>before</em> anything
 * is allocated for it, so a length near 2^31 costs nothing.
 *
 * <p>Limits: {@code maxLength} bounds the bytes of the whole stream, {@code maxPairs} the number of pairs. Not
 * thread-safe: one instance per request.
 */
public final class FcgiNameValueDecoder {

    private enum State { NAME_LENGTH, VALUE_LENGTH, NAME, VALUE }

    private final FcgiParameters params;
    private final long maxLength;
    private final int maxPairs;

    private State state = State.NAME_LENGTH;
    private long consumed;
    private int lengthBytesRead;
    private int lengthValue;
    private int nameLength;
    private byte[] name;
    private byte[] value;
    private int filled;

    /**
     * A decoder that adds pairs to {@code params}.
     *
     * @param maxLength the most bytes the whole PARAMS stream may have
     * @param maxPairs  the most pairs it may have
     */
    public FcgiNameValueDecoder(FcgiParameters params, long maxLength, int maxPairs) {
        this.params = params;
        this.maxLength = maxLength;
        this.maxPairs = maxPairs;
    }

    /** The pairs decoded so far. */
    public FcgiParameters params() {
        return params;
    }

    /**
     * Decodes the readable bytes of {@code content} (consuming them).
     *
     * @throws FcgiParamsException when a limit is exceeded
     */
    public void decode(ByteBuf content) {
        int readable = content.readableBytes();
        if (consumed + readable > maxLength) {
            throw FcgiParamsException.tooLarge("params: more than " + maxLength + " bytes");
        }
        while (content.isReadable()) {
            switch (state) {
                case NAME_LENGTH, VALUE_LENGTH -> readLength(content);
                case NAME -> {
                    if (fill(content, name)) {
                        startValue();
                    }
                }
                case VALUE -> {
                    if (fill(content, value)) {
                        emitPair();
                    }
                }
            }
        }
    }

    /**
     * Checks that the stream ended between pairs; call it when the empty PARAMS record arrives.
     *
     * @throws FcgiParamsException when the stream ended inside a pair
     */
    public void finish() {
        if (state != State.NAME_LENGTH || lengthBytesRead != 0) {
            throw FcgiParamsException.malformed("params: the stream ends inside a name-value pair");
        }
    }

    private void readLength(ByteBuf content) {
        if (lengthBytesRead == 0) {
            if (state == State.NAME_LENGTH && params.size() >= maxPairs) {
                throw FcgiParamsException.tooLarge("params: more than " + maxPairs + " pairs");
            }
            int first = content.readUnsignedByte();
            consumed++;
            if ((first & 0x80) == 0) {
                lengthDone(first);
                return;
            }
            lengthValue = first & 0x7F;
            lengthBytesRead = 1;
        }
        while (lengthBytesRead < 4 && content.isReadable()) {
            lengthValue = (lengthValue << 8) | content.readUnsignedByte();
            consumed++;
            lengthBytesRead++;
        }
        if (lengthBytesRead == 4) {
            lengthBytesRead = 0;
            lengthDone(lengthValue);
        }
    }

    private void lengthDone(int length) {
        if (consumed + length > maxLength) {
            throw FcgiParamsException.tooLarge("params: a length of " + length + " bytes exceeds the limit of "
                    + maxLength + " bytes for all params");
        }
        if (state == State.NAME_LENGTH) {
            nameLength = length;
            state = State.VALUE_LENGTH;
            return;
        }
        // Both lengths are known and within the limit: only now allocate.
        if (consumed + nameLength + length > maxLength) {
            throw FcgiParamsException.tooLarge("params: a pair of " + (nameLength + length)
                    + " bytes exceeds the limit of " + maxLength + " bytes for all params");
        }
        name = new byte[nameLength];
        value = new byte[length];
        filled = 0;
        state = State.NAME;
        if (nameLength == 0) {
            startValue();
        }
    }

    private void startValue() {
        filled = 0;
        state = State.VALUE;
        if (value.length == 0) {
            emitPair();
        }
    }

    private void emitPair() {
        params.add(new String(name, StandardCharsets.ISO_8859_1), value);
        name = null;
        value = null;
        state = State.NAME_LENGTH;
    }

    private boolean fill(ByteBuf content, byte[] target) {
        int n = Math.min(target.length - filled, content.readableBytes());
        content.readBytes(target, filled, n);
        filled += n;
        consumed += n;
        return filled == target.length;
    }
}
