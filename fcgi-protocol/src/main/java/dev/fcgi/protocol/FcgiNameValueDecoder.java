package dev.fcgi.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.FastThreadLocal;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Decodes the PARAMS stream of one request into {@link FcgiParameters}, record by record. A pair may span
 * records at any byte, even inside a four-byte length; the decoder keeps the partial pair (never a reference to
 * the record's buffer) until the rest arrives. Every length is checked against the limits <em>before</em> anything
 * is allocated for it, and the memory for a name or value grows with the bytes that actually arrive, not with the
 * length the peer declared: a length near 2^31 costs nothing.
 *
 * <p>Limits: {@code maxLength} bounds the bytes of the whole stream, {@code maxPairs} the number of pairs. Not
 * thread-safe: one instance per request.
 */
public final class FcgiNameValueDecoder {

    private enum State { NAME_LENGTH, VALUE_LENGTH, NAME, VALUE }

    /** The longest name or value: the largest array the JVM reliably allocates. */
    private static final int MAX_ARRAY_LENGTH = Integer.MAX_VALUE - 8;
    /** A name or value up to this long gets its whole array at once; a longer one grows as its bytes arrive. */
    private static final int INITIAL_CAPACITY = 8192;
    private static final byte[] EMPTY = new byte[0];
    /**
     * The largest record content: a direct buffer's content is copied into a per-thread array of this size (on an
     * event loop or another platform thread; a virtual thread gets an array of the content's size).
     */
    private static final int SCRATCH_LENGTH = 65535;
    private static final FastThreadLocal<byte[]> SCRATCH = new FastThreadLocal<>() {
        @Override
        protected byte[] initialValue() {
            return new byte[SCRATCH_LENGTH];
        }
    };

    private final FcgiParameters params;
    private final long maxLength;
    private final int maxPairs;

    private State state = State.NAME_LENGTH;
    private long consumed;
    private int lengthBytesRead;
    private int lengthValue;
    private int nameLength;
    private int valueLength;
    private byte[] name;
    private String knownName;
    private byte[] value;
    private int filled;
    /** The input being decoded, during {@link #decode(ByteBuf)} only: the array, the next index and the end. */
    private byte[] in;
    private int pos;
    private int end;

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
        // one bulk copy out of a direct buffer, then plain array reads: byte-at-a-time reads through a slice of a
        // direct buffer cost several checks each (without Unsafe, a memory-session check too)
        if (content.hasArray()) {
            in = content.array();
            pos = content.arrayOffset() + content.readerIndex();
        } else {
            boolean scratch = readable <= SCRATCH_LENGTH && !Thread.currentThread().isVirtual();
            in = scratch ? SCRATCH.get() : new byte[readable];
            pos = 0;
            content.getBytes(content.readerIndex(), in, 0, readable);
        }
        end = pos + readable;
        try {
            decodeInput();
        } finally {
            content.skipBytes(readable);
            in = null;
        }
    }

    private void decodeInput() {
        while (pos < end) {
            switch (state) {
                case NAME_LENGTH, VALUE_LENGTH -> readLength();
                case NAME -> {
                    if (filled == 0 && (knownName = KnownParamNames.find(in, pos, end, nameLength)) != null) {
                        pos += nameLength;
                        consumed += nameLength;
                        startValue();
                    } else {
                        name = fill(name, nameLength);
                        if (filled == nameLength) {
                            startValue();
                        }
                    }
                }
                case VALUE -> {
                    value = fill(value, valueLength);
                    if (filled == valueLength) {
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

    private void readLength() {
        if (lengthBytesRead == 0) {
            if (state == State.NAME_LENGTH && params.size() >= maxPairs) {
                throw FcgiParamsException.tooLarge("params: more than " + maxPairs + " pairs");
            }
            int first = in[pos++] & 0xFF;
            consumed++;
            if ((first & 0x80) == 0) {
                lengthDone(first);
                return;
            }
            lengthValue = first & 0x7F;
            lengthBytesRead = 1;
        }
        while (lengthBytesRead < 4 && pos < end) {
            lengthValue = (lengthValue << 8) | (in[pos++] & 0xFF);
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
        if (length > MAX_ARRAY_LENGTH) {
            throw FcgiParamsException.tooLarge("params: a length of " + length + " bytes (max: "
                    + MAX_ARRAY_LENGTH + ')');
        }
        if (state == State.NAME_LENGTH) {
            nameLength = length;
            state = State.VALUE_LENGTH;
            return;
        }
        // Both lengths are known and within the limit: only now allocate, and no more than has a chance to arrive.
        if (consumed + nameLength + length > maxLength) {
            throw FcgiParamsException.tooLarge("params: a pair of " + ((long) nameLength + length)
                    + " bytes exceeds the limit of " + maxLength + " bytes for all params");
        }
        valueLength = length;
        name = EMPTY;                                        // allocated as bytes arrive, unless the name is known
        knownName = null;
        filled = 0;
        state = State.NAME;
        if (nameLength == 0) {
            startValue();
        }
    }

    private void startValue() {
        value = valueLength == 0 ? EMPTY : new byte[Math.min(valueLength, INITIAL_CAPACITY)];
        filled = 0;
        state = State.VALUE;
        if (valueLength == 0) {
            emitPair();
        }
    }

    private void emitPair() {
        params.add(knownName != null ? knownName : new String(name, StandardCharsets.ISO_8859_1), value);
        name = null;
        knownName = null;
        value = null;
        state = State.NAME_LENGTH;
    }

    /** Reads what is readable of a name or value of {@code length} bytes, growing {@code target} as needed. */
    private byte[] fill(byte[] target, int length) {
        int n = Math.min(length - filled, end - pos);
        if (filled + n > target.length) {
            target = Arrays.copyOf(target, (int) Math.min(length, Math.max(filled + n, 2L * target.length)));
        }
        System.arraycopy(in, pos, target, filled, n);
        pos += n;
        filled += n;
        consumed += n;
        return target;
    }
}
