package dev.fcgi.protocol.gateway;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link BodySpool}: memory up to the threshold, then an unlinked file; the length is learnt either way. */
class BodySpoolTest {

    @TempDir
    Path dir;

    private static byte[] random(int n) {
        byte[] bytes = new byte[n];
        new Random(n).nextBytes(bytes);
        return bytes;
    }

    @Test
    void smallBodiesStayInMemory() throws IOException {
        byte[] body = random(1000);
        try (BodySpool spool = BodySpool.spool(new ByteArrayInputStream(body), 1000, dir)) {
            assertFalse(spool.isOnDisk());
            assertEquals(1000, spool.length());
            assertArrayEquals(body, spool.bytes());
        }
    }

    @Test
    void largeBodiesGoToAFileThatIsNeverVisible() throws IOException {
        byte[] body = random(300_000);
        try (BodySpool spool = BodySpool.spool(new ByteArrayInputStream(body), 1000, dir)) {
            assertTrue(spool.isOnDisk());
            assertEquals(body.length, spool.length());
            assertNull(spool.bytes());
            assertEquals(0, count(dir), "unlinked as soon as it was opened");
            try (InputStream in = spool.openFile()) {
                assertArrayEquals(body, in.readAllBytes());
            }
        }
    }

    @Test
    void aFailingBodyLeavesNothingBehind() throws IOException {
        InputStream failing = new InputStream() {
            private int left = 100_000;

            @Override
            public int read() {
                throw new UnsupportedOperationException();
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (left <= 0) {
                    throw new BodyTooLargeException(99_999);
                }
                int n = Math.min(len, left);
                left -= n;
                return n;
            }
        };
        assertThrows(BodyTooLargeException.class, () -> BodySpool.spool(failing, 10, dir));
        assertEquals(0, count(dir));
    }

    private static long count(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.count();
        }
    }
}
