package dev.fcgi.examples.interop;

import dev.fcgi.protocol.testing.MiniJson;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON the echo example answers with, read back: role, requestId, keepConn, the params as [name, value]
 * pairs in order, and the length and SHA-256 of stdin and data.
 */
record EchoReply(String role, long requestId, boolean keepConn, List<List<String>> params, long stdinLength,
                 String stdinSha256, long dataLength, String dataSha256) {

    /** SHA-256 of no bytes. */
    static final String EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    @SuppressWarnings("unchecked")
    static EchoReply parse(String json) {
        Map<String, Object> root = MiniJson.parseObject(json);
        List<List<String>> params = new ArrayList<>();
        for (Object pair : (List<Object>) root.get("params")) {
            List<Object> nameValue = (List<Object>) pair;
            if (nameValue.size() != 2) {
                throw new AssertionError("param is not a [name, value] pair: " + nameValue + " in " + json);
            }
            params.add(List.of((String) nameValue.get(0), (String) nameValue.get(1)));
        }
        Map<String, Object> stdin = (Map<String, Object>) root.get("stdin");
        Map<String, Object> data = (Map<String, Object>) root.get("data");
        return new EchoReply((String) root.get("role"), (Long) root.get("requestId"), (Boolean) root.get("keepConn"),
                List.copyOf(params), (Long) stdin.get("length"), (String) stdin.get("sha256"),
                (Long) data.get("length"), (String) data.get("sha256"));
    }

    /** The value of the last param {@code name}, or {@code null}. */
    String param(String name) {
        String value = null;
        for (List<String> pair : params) {
            if (pair.get(0).equals(name)) {
                value = pair.get(1);
            }
        }
        return value;
    }

    /** The params as a map (the last value of a name wins), in order. */
    Map<String, String> paramMap() {
        Map<String, String> map = new LinkedHashMap<>();
        for (List<String> pair : params) {
            map.put(pair.get(0), pair.get(1));
        }
        return map;
    }
}
