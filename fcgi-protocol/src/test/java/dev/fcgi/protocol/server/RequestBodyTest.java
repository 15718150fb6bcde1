package dev.fcgi.protocol.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

class RequestBodyTest {

    private static ByteBuf buffer(int length, int seed) {
        ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(length);
        for (int i = 0; i < length; i++) {
            buf.writeByte((seed + i) % 251);
        }
        return buf;
    }

    @Test
    @DisplayName("spec 75: past the spool threshold the body goes to a file; memory stays at the threshold")
    void spoolsPastThreshold(@TempDir Path dir) throws IOException {
        RequestBody body = new RequestBody(64 * 1024, dir, TimeUnit.SECONDS.toNanos(5), Long.MAX_VALUE);
        int chunk = 60_000;
        for (int i = 0; i < 50; i++) {
            body.offer(buffer(chunk, i * chunk));
            assertTrue(body.bufferedBytes() <= 64 * 1024, "in memory: " + body.bufferedBytes());
        }
        body.end();
        assertTrue(body.isSpooled());
        byte[] all = body.readAllBytes();
        assertEquals(50 * chunk, all.length);
        for (int i = 0; i < all.length; i++) {
            assertEquals((byte) (i % 251), all[i], "byte " + i);
        }
        body.release();
    }

    @Test
    @DisplayName("a failed body throws the cause on read; release frees unread buffers")
    void failAndRelease(@TempDir Path dir) {
        RequestBody body = new RequestBody(1 << 20, dir, TimeUnit.SECONDS.toNanos(5), Long.MAX_VALUE);
        body.offer(buffer(100, 0));
        body.fail(new IOException("request aborted: test"));
        body.release();
        IOException e = assertThrows(IOException.class, body::read);
        assertTrue(e.getMessage().contains("closed") || e.getMessage().contains("aborted"), e.getMessage());
    }

    @Test
    @DisplayName("over the maximum length reads fail with a too-large error")
    void tooLarge(@TempDir Path dir) throws IOException {
        RequestBody body = new RequestBody(1 << 20, dir, TimeUnit.SECONDS.toNanos(5), 150);
        body.offer(buffer(100, 0));
        body.offer(buffer(100, 0));
        assertEquals(100, body.read(new byte[200], 0, 200));
        IOException e = assertThrows(IOException.class, () -> body.read(new byte[10], 0, 10));
        assertInstanceOf(RequestBody.BodyTooLargeException.class, e);
        body.release();
    }

    @Test
    @DisplayName("a body that has arrived in memory is read whole, or in parts, across its buffers")
    void readsAnArrivedBodyAcrossBuffers(@TempDir Path dir) throws IOException {
        RequestBody body = new RequestBody(1 << 20, dir, TimeUnit.SECONDS.toNanos(5), Long.MAX_VALUE);
        body.offer(buffer(100, 0));
        body.offer(buffer(50, 100));
        body.end();
        byte[] first = body.readNBytes(120);
        assertEquals(120, first.length);
        assertEquals(30, body.available());
        byte[] rest = body.readAllBytes();
        assertEquals(30, rest.length);
        for (int i = 0; i < 150; i++) {
            assertEquals((byte) (i % 251), i < 120 ? first[i] : rest[i - 120], "byte " + i);
        }
        assertEquals(0, body.readAllBytes().length);
        assertEquals(-1, body.read());
        body.release();

        RequestBody empty = new RequestBody(1 << 20, dir, TimeUnit.SECONDS.toNanos(5), Long.MAX_VALUE);
        empty.end();
        assertEquals(0, empty.readAllBytes().length);
        assertThrows(IllegalArgumentException.class, () -> empty.readNBytes(-1));
        empty.release();
    }

    @Test
    @DisplayName("after a spill, a reader that caught up with the file gets the next bytes from memory, in order")
    void backToMemoryOnceTheFileIsRead(@TempDir Path dir) throws IOException {
        RequestBody body = new RequestBody(64 * 1024, dir, TimeUnit.SECONDS.toNanos(5), Long.MAX_VALUE);
        body.offer(buffer(60_000, 0));
        body.offer(buffer(60_000, 60_000));                     // past the threshold: to the file
        assertTrue(body.isSpooled());
        byte[] first = body.readNBytes(120_000);
        body.offer(buffer(1_000, 120_000));                     // the file is read: memory again
        assertEquals(1_000, body.bufferedBytes());
        body.offer(buffer(60_000, 121_000));                    // past the threshold again: behind it, in the file
        body.end();
        byte[] rest = body.readAllBytes();
        assertEquals(120_000, first.length);
        assertEquals(61_000, rest.length);
        for (int i = 0; i < 181_000; i++) {
            assertEquals((byte) (i % 251), i < 120_000 ? first[i] : rest[i - 120_000], "byte " + i);
        }
        body.release();
    }
}
