package dev.fcgi.pool.config;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** FPM's value parsers and their messages. */
class FpmValuesTest {

    private static String refused(Parse parse) {
        return assertThrows(FpmValues.BadValue.class, parse::run).getMessage();
    }

    private interface Parse {
        void run() throws FpmValues.BadValue;
    }

    @Test
    @DisplayName("time: seconds without a suffix, s, m, h, d; a fraction is kept; FPM's messages otherwise")
    void time() throws Exception {
        assertEquals(Duration.ofSeconds(45), FpmValues.time("45"));
        assertEquals(Duration.ofSeconds(30), FpmValues.time("30s"));
        assertEquals(Duration.ofMinutes(2), FpmValues.time("2m"));
        assertEquals(Duration.ofHours(1), FpmValues.time("1h"));
        assertEquals(Duration.ofDays(1), FpmValues.time("1d"));
        assertEquals(Duration.ofMillis(1500), FpmValues.time("1.5s"));
        assertEquals(Duration.ofSeconds(90), FpmValues.time("1.5m"));
        assertEquals(Duration.ZERO, FpmValues.time("0"));
        assertEquals(Duration.ofSeconds(-5), FpmValues.time("-5s"), "negative: the pool's setter refuses it");
        assertEquals("invalid time value", refused(() -> FpmValues.time("")));
        assertEquals("unknown suffix used in time value", refused(() -> FpmValues.time("10x")));
        assertEquals("unknown suffix used in time value", refused(() -> FpmValues.time("500ms")),
                "FPM reads 500ms as 500 seconds; refused here");
        assertEquals(FpmValues.NOT_A_NUMBER, refused(() -> FpmValues.time("1 0s")));
    }

    @Test
    @DisplayName("boolean: what the INI scanner leaves (1 or empty), the words quoted, 0; nothing else")
    void bool() throws Exception {
        for (String yes : List.of("1", "yes", "on", "true", "Yes")) {
            assertTrue(FpmValues.bool(yes), yes);
        }
        for (String no : List.of("", "0", "no", "off", "false", "none", "OFF")) {
            assertFalse(FpmValues.bool(no), no);
        }
        for (String bad : List.of("maybe", "2", " ", "yes please")) {
            assertEquals("invalid boolean value", refused(() -> FpmValues.bool(bad)), bad);
        }
    }

    @Test
    @DisplayName("integer: an optional '-' then digits, empty is 0, anything else FPM's message")
    void integer() throws Exception {
        assertEquals(12, FpmValues.integer("12"));
        assertEquals(-1, FpmValues.integer("-1"));
        assertEquals(0, FpmValues.integer(""));
        for (String bad : List.of("1x", "0x10", " 3", "1.5", "99999999999", "-")) {
            assertEquals("is not a valid number (greater or equal than zero)",
                    refused(() -> FpmValues.integer(bad)), bad);
        }
    }

    @Test
    @DisplayName("rlimit_core: unlimited (any case) or an integer of at least 0")
    void rlimitCore() throws Exception {
        assertEquals(-1, FpmValues.rlimitCore("unlimited"));
        assertEquals(-1, FpmValues.rlimitCore("Unlimited"));
        assertEquals(0, FpmValues.rlimitCore("0"));
        assertEquals(1024, FpmValues.rlimitCore("1024"));
        assertEquals("must be greater than zero or 'unlimited'", refused(() -> FpmValues.rlimitCore("-5")));
        assertEquals(FpmValues.NOT_A_NUMBER, refused(() -> FpmValues.rlimitCore("lots")));
    }

    @Test
    @DisplayName("log_level, syslog.facility and $pool")
    void others() throws Exception {
        assertEquals(FpmGlobalConfig.LogLevel.WARNING, FpmValues.logLevel("warn"));
        assertEquals(FpmGlobalConfig.LogLevel.DEBUG, FpmValues.logLevel("DEBUG"));
        assertEquals("invalid value for 'log_level'", refused(() -> FpmValues.logLevel("loud")));
        assertEquals("local3", FpmValues.syslogFacility("LOCAL3"));
        assertEquals("invalid value", refused(() -> FpmValues.syslogFacility("nope")));
        assertEquals("/run/www/www.sock", FpmValues.expandPool("/run/$pool/$pool.sock", "www"));
        assertEquals("Can't use '$pool' when the pool is not defined",
                refused(() -> FpmValues.expandPool("/run/$pool.pid", null)));
    }
}
