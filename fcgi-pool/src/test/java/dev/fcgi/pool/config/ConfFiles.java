package dev.fcgi.pool.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes configuration files for the tests. */
final class ConfFiles {

    /** A [global] section and a minimal handler pool [www] listening on 127.0.0.1:9000: lines 1 to 7. */
    static final String BASE = """
            [global]
            error_log = fpm.log
            [www]
            listen = 127.0.0.1:9000
            pm = static
            pm.max_children = 2
            handler = dev.fcgi.pool.config.HelloHandler
            """;

    private ConfFiles() {
    }

    /** Writes {@code text} to {@code dir/name} (creating directories) and returns the file. */
    static Path write(Path dir, String name, String text) {
        try {
            Path file = dir.resolve(name);
            Files.createDirectories(file.getParent());
            Files.writeString(file, text);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
