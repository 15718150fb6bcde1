package dev.fcgi.benchmarks.soak;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

class NginxErrorLogTest {

    @Test
    void eachRefusedCallGetsTheMessagesOfItsLines(@TempDir Path dir) throws Exception {
        Path log = Files.writeString(dir.resolve("error.log"), """
                2026/11/22 21:16:57 [error] 2199#2199: *1077 upstream sent unexpected FastCGI record: 3 while reading\
                 response header from upstream, client: 127.0.0.1, server: , request: "GET /soak?id=7&kind=get&size=1\
                 HTTP/1.1", upstream: "fastcgi://unix:/tmp/s/soak.sock:", host: "127.0.0.1:1"
                2026/11/22 21:16:57 [error] 2199#2199: *1078 recv() failed (104: Connection reset by peer) while\
                 reading response header from upstream, client: 127.0.0.1, server: , request: "GET /soak?id=8&kind=get\
                 HTTP/1.1", upstream: "fastcgi://unix:/tmp/s/soak.sock:", host: "127.0.0.1:1"
                2026/11/22 21:16:57 [crit] 2199#2199: *1078 connect() to unix:/tmp/s/soak.sock failed (2: No such file\
                 or directory) while connecting to upstream, client: 127.0.0.1, server: , request: "GET\
                 /soak?id=8&kind=get HTTP/1.1", upstream: "fastcgi://unix:/tmp/s/soak.sock:", host: "127.0.0.1:1"
                2026/11/22 21:16:58 [crit] 2199#2199: *1079 connect() to unix:/tmp/s/soak.sock failed (2: No such file\
                 or directory) while connecting to upstream, client: 127.0.0.1, server: , request: "POST\
                 /soak?id=9&kind=post HTTP/1.1", upstream: "fastcgi://unix:/tmp/s/soak.sock:", host: "127.0.0.1:1"
                """);
        Map<String, Long> causes = NginxErrorLog.causes(log, Set.of(7L, 8L, 9L, 10L));
        assertEquals(Map.of(
                "upstream sent unexpected FastCGI record: 3 while reading response header from upstream", 1L,
                "recv() failed (104: Connection reset by peer) while reading response header from upstream, then"
                        + " connect() to unix:SOCKET failed (2: No such file or directory) while connecting to upstream",
                1L,
                "connect() to unix:SOCKET failed (2: No such file or directory) while connecting to upstream", 1L,
                "(no line in nginx's error log)", 1L), causes);
    }
}
