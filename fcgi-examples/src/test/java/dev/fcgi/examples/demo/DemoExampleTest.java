package dev.fcgi.examples.demo;

import dev.fcgi.protocol.testing.ExternalTools;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's demo: started as {@code main} starts it (on free ports here), every curl command it prints is run
 * as printed, with the real curl, and answers as the demo says.
 */
class DemoExampleTest {

    @Test
    void everyPrintedCurlAnswers() throws Exception {
        ExternalTools.require("curl");
        try (DemoExample demo = DemoExample.start(0, 0, 0, 0)) {
            List<String> curls = new ArrayList<>();
            for (String line : demo.tryThis()) {
                if (line.strip().startsWith("curl ")) {
                    curls.add(line.strip());
                }
            }
            boolean php = demo.tryThis().stream().anyMatch(l -> l.startsWith("PHP pool"));
            if (ExternalTools.isRequired()) {
                assertTrue(php, "php-cgi is installed on CI: the demo has its PHP pool");
            }
            List<String> expected = new ArrayList<>(List.of(
                    "Hello, you! This is pool-app-worker-",       // GET /hello?name=you
                    "received 9 bytes, sha256 "                    // POST of 'some data'
                            + "1307990e6ba5ca145eb35e99182a9bec46531bc54ddf656a602c780fa0240dee",
                    "\"pool\":\"app\"",                            // the status page in JSON
                    "pong"));                                      // the ping page
            if (php) {
                expected.addAll(List.of(
                        "Hello from PHP 8",                                   // /
                        "received 9 bytes, sha256 1307990e6ba5ca145eb35e99182a9bec46531bc54ddf656a602c780fa0240dee",
                        "\"path_info\": \"/extra/path\"",                      // info.php/extra/path?x=1
                        "process manager:      ondemand"));                   // the php pool's status page
            }
            assertEquals(expected.size(), curls.size(), () -> "printed: " + demo.tryThis());
            for (int i = 0; i < curls.size(); i++) {
                String answer = run(curls.get(i));
                String want = expected.get(i);
                assertTrue(answer.contains(want), curls.get(i) + " answered:\n" + answer + "\nexpected: " + want);
            }
        }
    }

    private static String run(String command) throws Exception {
        Process curl = new ProcessBuilder("sh", "-c", command + " --silent --show-error --max-time 30")
                .redirectErrorStream(true).start();
        byte[] out = curl.getInputStream().readAllBytes();
        assertTrue(curl.waitFor(60, TimeUnit.SECONDS), command);
        assertEquals(0, curl.exitValue(), command + ": " + new String(out, StandardCharsets.UTF_8));
        return new String(out, StandardCharsets.UTF_8);
    }
}
