package dev.fcgi.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ReferenceCountUtil;

import java.util.List;

/**
 * The record codec called directly, without a channel pipeline, as Jetty's parser and generator are called in
 * {@code JettyCodecBenchmark}: so that the codec benchmarks compare codec work, not Netty's write machinery
 * (promises, the outbound queue of an {@code EmbeddedChannel}). In the codec's package to reach its
 * package-private entry points; for benchmarks only.
 */
public final class DirectCodec {

    private DirectCodec() {
    }

    /** Decodes the whole records readable in {@code in} into {@code out}, as the pipeline would. */
    public static void decode(FcgiRecordDecoder decoder, ByteBuf in, List<Object> out) {
        decoder.decode(null, in, out);
    }

    /**
     * Encodes {@code record} into buffers from {@code alloc}, added to {@code out}, and releases the record, as the
     * pipeline's encoder does.
     */
    public static void encode(ByteBufAllocator alloc, FcgiRecord record, List<Object> out) {
        try {
            FcgiRecordEncoder.INSTANCE.encode(alloc, record, out);
        } finally {
            ReferenceCountUtil.release(record);
        }
    }
}
