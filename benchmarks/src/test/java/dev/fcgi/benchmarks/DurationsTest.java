package dev.fcgi.benchmarks;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DurationsTest {

    @Test
    void parsesAndWritesTimes() {
        assertEquals(Duration.ofMillis(250), Durations.parse("-d", "250ms"));
        assertEquals(Duration.ofSeconds(3), Durations.parse("-d", "3"));
        assertEquals(Duration.ofMillis(1500), Durations.parse("-d", "1.5s"));
        assertEquals(Duration.ofMinutes(2), Durations.parse("-d", "2m"));
        assertEquals(Duration.ofHours(1), Durations.parse("-d", "1h"));
        assertEquals("500ms", Durations.text(Duration.ofMillis(500)));
        assertEquals("10s", Durations.text(Duration.ofSeconds(10)));
        assertEquals("2m", Durations.text(Duration.ofMinutes(2)));
    }

    @Test
    void namesTheOptionOfABadTime() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Durations.parse("--duration", "soon"));
        assertTrue(e.getMessage().startsWith("--duration: 'soon'"), e.getMessage());
    }
}
