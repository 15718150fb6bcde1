package dev.fcgi.protocol;

import io.netty.channel.CombinedChannelDuplexHandler;

/**
 * {@link FcgiRecordDecoder} and {@link FcgiRecordEncoder} in one handler, for either side of a connection.
 */
public final class FcgiRecordCodec extends CombinedChannelDuplexHandler<FcgiRecordDecoder, FcgiRecordEncoder> {

    /** A codec with a new decoder (decoders keep per-channel state) and the shared encoder. */
    public FcgiRecordCodec() {
        super(new FcgiRecordDecoder(), FcgiRecordEncoder.INSTANCE);
    }
}
