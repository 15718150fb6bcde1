package dev.fcgi.benchmarks.load;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.random.RandomGenerator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class RequestMixTest {

    @Test
    void parsesKindsCommentsAndBodySizes() {
        RequestMix mix = RequestMix.parse(List.of(
                "# weight method uri body-size",
                "",
                "  80  GET   /index.php?page=1   # the front page",
                "15 GET /search.php?q=fcgi",
                "5\tPOST\t/upload.php\t16k"), "mix.txt");

        List<RequestMix.Kind> kinds = mix.kinds();
        assertEquals(3, kinds.size());
        assertEquals(80, kinds.get(0).weight());
        assertEquals("GET", kinds.get(0).method());
        assertEquals("/index.php?page=1", kinds.get(0).uri());
        assertEquals(0, kinds.get(0).body().length);
        assertEquals("POST /upload.php (16384 B)", kinds.get(2).label());
        assertEquals(16 * 1024, kinds.get(2).body().length);
    }

    @Test
    void picksByWeight() {
        RequestMix mix = RequestMix.parse(List.of("3 GET /a", "1 GET /b", "6 GET /c"), "mix");
        int[] picked = new int[10];
        for (int r = 0; r < 10; r++) {
            picked[r] = mix.pick(fixed(r));
        }
        assertArrayEquals(new int[] {0, 0, 0, 1, 2, 2, 2, 2, 2, 2}, picked);
    }

    @Test
    void aSingleKindIsAlwaysPicked() {
        RequestMix mix = RequestMix.of("GET", "/", new byte[0]);
        assertEquals(0, mix.pick(fixed(0)));
        assertEquals("GET /", mix.kinds().get(0).label());
    }

    @Test
    void badLinesNameTheFileTheLineAndTheProblem() {
        assertMessage("mix.txt:2: weight 'ten' is not a positive integer (expected: weight method uri [body-size])",
                "# header", "ten GET /");
        assertMessage("mix.txt:1: weight '0' is not a positive integer (expected: weight method uri [body-size])",
                "0 GET /");
        assertMessage("mix.txt:1: 2 fields (expected: weight method uri [body-size])", "1 GET");
        assertMessage("mix.txt:1: 5 fields (expected: weight method uri [body-size])", "1 GET / 10 extra");
        assertMessage("mix.txt:1: method 'get' is not an HTTP method (GET, POST, ...) (expected: weight method uri"
                + " [body-size])", "1 get /");
        assertMessage("mix.txt:1: uri 'index.php' is not a path starting with / (and maybe ?query) without spaces"
                + " (expected: weight method uri [body-size])", "1 GET index.php");
        assertMessage("mix.txt:1: size '12q' is not a number of bytes from 0 to 256m (suffixes: k, m) (expected:"
                + " weight method uri [body-size])", "1 POST /u 12q");
        assertMessage("mix.txt: no request kinds (expected lines of: weight method uri [body-size])", "# nothing",
                "   ");
    }

    @Test
    void sizesTakeSuffixes() {
        assertEquals(512, RequestMix.parseSize("512"));
        assertEquals(16 * 1024, RequestMix.parseSize("16k"));
        assertEquals(2 * 1024 * 1024, RequestMix.parseSize("2M"));
        assertThrows(IllegalArgumentException.class, () -> RequestMix.parseSize("-1"));
        assertThrows(IllegalArgumentException.class, () -> RequestMix.parseSize("257m"));
    }

    private static void assertMessage(String expected, String... lines) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RequestMix.parse(List.of(lines), "mix.txt"));
        assertEquals(expected, e.getMessage());
    }

    /** A generator whose nextInt(bound) is always {@code value}. */
    private static RandomGenerator fixed(int value) {
        return new RandomGenerator() {
            @Override
            public long nextLong() {
                throw new UnsupportedOperationException();
            }

            @Override
            public int nextInt(int bound) {
                return value;
            }
        };
    }
}
