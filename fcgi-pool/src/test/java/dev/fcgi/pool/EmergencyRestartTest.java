package dev.fcgi.pool;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.*;

class EmergencyRestartTest {

    private static final long S = 1_000_000_000L;

    @Test
    @DisplayName("due when the last threshold failures fall within the interval; then the count starts over")
    void thresholdWithinInterval() {
        EmergencyRestart restart = new EmergencyRestart(3, Duration.ofSeconds(10));
        assertFalse(restart.failed(0));
        assertFalse(restart.failed(5 * S));
        assertFalse(restart.failed(11 * S), "the first failure is 11 s old: outside the interval");
        assertTrue(restart.failed(12 * S), "5, 11 and 12 s: three within 10 s");
        assertFalse(restart.failed(13 * S), "the ring starts over after a restart");
        assertFalse(restart.failed(14 * S));
        assertTrue(restart.failed(15 * S));
    }

    @Test
    @DisplayName("off when either value is zero, as in FPM; negative values are refused")
    void offAndInvalid() {
        EmergencyRestart off = new EmergencyRestart(2, Duration.ZERO);
        assertFalse(off.isOn());
        for (int i = 0; i < 10; i++) {
            assertFalse(off.failed(i));
        }
        assertFalse(new EmergencyRestart(0, Duration.ofSeconds(1)).failed(0));
        assertThrows(IllegalArgumentException.class, () -> new EmergencyRestart(-1, Duration.ofSeconds(1)));
        assertThrows(IllegalArgumentException.class, () -> new EmergencyRestart(1, Duration.ofSeconds(-1)));
    }
}
