package dev.fcgi.benchmarks.soak;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

class SoakPayloadTest {

    @Test
    void theBytesDependOnTheSeedOnlyNotOnHowTheyAreRead() throws Exception {
        byte[] whole = new SoakPayload(7, 100_003).toByteArray();
        ByteArrayOutputStream pieces = new ByteArrayOutputStream();
        try (SoakPayload payload = new SoakPayload(7, 100_003)) {
            int[] sizes = {1, 3, 8, 13, 4096, 7, 65_536};
            byte[] buffer = new byte[65_536];
            int n;
            for (int i = 0; (n = payload.read(buffer, 0, sizes[i % sizes.length])) > 0; i++) {
                pieces.write(buffer, 0, n);
            }
            assertEquals(-1, payload.read());
        }
        assertArrayEquals(whole, pieces.toByteArray());
        assertFalse(Arrays.equals(whole, new SoakPayload(8, 100_003).toByteArray()));
    }

    @Test
    void theChecksumIsTheCrc32cOfTheBytes() throws Exception {
        byte[] bytes = new SoakPayload(SoakPayload.responseSeed(42), 5000).toByteArray();
        CRC32C crc = new CRC32C();
        crc.update(bytes);
        assertEquals(crc.getValue(), SoakPayload.crc32c(SoakPayload.responseSeed(42), 5000));
        assertEquals(new SoakPayload.Sum(5000, crc.getValue()),
                SoakPayload.Sum.of(new SoakPayload(SoakPayload.responseSeed(42), 5000)));
        assertNotEquals(SoakPayload.crc32c(SoakPayload.requestSeed(42), 5000),
                SoakPayload.crc32c(SoakPayload.responseSeed(42), 5000), "an upload is not its answer");
        assertEquals("00000000", SoakPayload.Sum.hex(SoakPayload.crc32c(1, 0)));
    }
}
