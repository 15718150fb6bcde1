package dev.fcgi.protocol.testing;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;

import java.util.Arrays;
import java.util.function.IntUnaryOperator;

/**
 * What a Jazzer fuzz target of this project reads from the fuzzer: a byte stream as a peer sends it, the sizes of
 * the reads it arrives in, and a byte of options for the target.
 *
 * <p>Layout ({@link FuzzedDataProvider} takes numbers from the end of the data): the last byte is the options; the
 * byte before it the number of reads whose size the fuzzer chose (0 to 15, modulo 16); before that one byte per
 * such read, its size (1 to 256); everything in front is the stream. What those reads leave arrives in one last
 * read. A seed made from captured traffic is therefore the bytes and two zero bytes ({@link #seed}): the stream in
 * one read, default options.
 *
 * @param stream  the bytes a peer sends
 * @param reads   the sizes of the first reads
 * @param options target-specific choices, 0 to 255
 */
public record FuzzInput(byte[] stream, int[] reads, int options) {

    /** At most this many reads get a size of their own. */
    public static final int MAX_READS = 15;

    /** Takes the options, the read sizes and the stream out of the fuzzer's data. */
    public static FuzzInput read(FuzzedDataProvider data) {
        int options = data.consumeInt(0, 255);
        int[] reads = new int[data.consumeInt(0, MAX_READS)];
        for (int i = 0; i < reads.length; i++) {
            reads[i] = data.consumeInt(1, 256);
        }
        return new FuzzInput(data.consumeRemainingAsBytes(), reads, options);
    }

    /** A seed file for {@code stream}: the stream in one read, options 0. */
    public static byte[] seed(byte[] stream) {
        return Arrays.copyOf(stream, stream.length + 2);
    }

    /** Whether option bit {@code bit} (0 to 7) is set. */
    public boolean option(int bit) {
        return (options & (1 << bit)) != 0;
    }

    /**
     * The size of each read in turn, given the bytes left: the chosen sizes first (never more than is left), then
     * everything left. A new operator starts again at the first read.
     */
    public IntUnaryOperator readSizes() {
        int[] next = {0};
        return left -> next[0] < reads.length ? Math.min(left, reads[next[0]++]) : left;
    }

    /**
     * Writes the stream into {@code ch} read by read, as retained slices of one leak-tracked buffer, until it is all
     * written or the channel has closed (as a socket stops reading then); the buffer is released either way.
     *
     * <p>When a handler closes an {@link EmbeddedChannel}, its pipeline is torn down at once, within the read (a
     * real channel does that after the read): a decoder error in the rest of that read then reaches the end of the
     * pipeline, which a real channel's handlers would have seen. Such a {@link DecoderException}, thrown once the
     * channel has closed, ends the feeding; any other exception propagates.
     *
     * @return the buffer, released, so that the caller can check that nothing still holds it ({@code refCnt() == 0})
     */
    public ByteBuf feed(EmbeddedChannel ch) {
        return feed(ch, () -> { });
    }

    /** As {@link #feed(EmbeddedChannel)}, running {@code afterEachRead} after each read. */
    public ByteBuf feed(EmbeddedChannel ch, Runnable afterEachRead) {
        ByteBuf root = ByteBufAllocator.DEFAULT.buffer(stream.length).writeBytes(stream);
        try {
            IntUnaryOperator sizes = readSizes();
            while (root.isReadable() && ch.isOpen()) {
                try {
                    ch.writeInbound(root.readRetainedSlice(sizes.applyAsInt(root.readableBytes())));
                } catch (DecoderException e) {
                    if (ch.isOpen()) {
                        throw e;
                    }
                }
                afterEachRead.run();
            }
        } finally {
            root.release();
        }
        return root;
    }

    @Override
    public String toString() {
        return stream.length + " bytes in reads " + Arrays.toString(reads) + " and the rest, options " + options;
    }
}
