package dev.fcgi.benchmarks.soak;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Why nginx refused a call: its error log names the request ({@code request: "GET /soak?id=7&..."}), so each
 * refused call's lines give the cause, such as {@code upstream sent unexpected FastCGI record: 3} (the server's
 * END_REQUEST with FCGI_OVERLOADED before any output) or {@code connect() ... failed} (the listener is gone).
 */
final class NginxErrorLog {

    private static final Pattern LINE = Pattern.compile("\\*\\d+ (.*?), client: .*request: \"[A-Z]+ [^\"]*[?&]id=(\\d+)");
    private static final Pattern SOCKET = Pattern.compile("unix:[^ ,:]+");

    private NginxErrorLog() {
    }

    /**
     * The causes of the calls {@code ids}, each the messages of its lines in order ({@code A, then B} when nginx
     * tried twice), with the count of calls of each cause; most frequent first.
     */
    static Map<String, Long> causes(Path log, Set<Long> ids) throws IOException {
        Map<Long, List<String>> byId = new HashMap<>();
        if (log != null && Files.exists(log)) {
            for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
                Matcher m = LINE.matcher(line);
                if (m.find()) {
                    long id = Long.parseLong(m.group(2));
                    if (ids.contains(id)) {
                        String shape = SOCKET.matcher(m.group(1)).replaceAll("unix:SOCKET");
                        List<String> shapes = byId.computeIfAbsent(id, k -> new ArrayList<>());
                        if (!shapes.contains(shape)) {
                            shapes.add(shape);
                        }
                    }
                }
            }
        }
        Map<String, Long> counts = new TreeMap<>();
        for (long id : ids) {
            List<String> shapes = byId.get(id);
            counts.merge(shapes == null ? "(no line in nginx's error log)" : String.join(", then ", shapes), 1L,
                    Long::sum);
        }
        Map<String, Long> sorted = new LinkedHashMap<>();
        counts.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue(), a.getValue()))
                .forEach(e -> sorted.put(e.getKey(), e.getValue()));
        return sorted;
    }
}
