package dev.fcgi.pool.config;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code include} patterns as glob(3) expands them for php-fpm. */
class IncludeGlobTest {

    @TempDir
    Path dir;

    @Test
    @DisplayName("wildcards in any component, sorted, no dot files, no directories")
    void expand() throws Exception {
        for (String f : List.of("b.conf", "a.conf", "c.txt", ".hidden.conf", "x/p.conf", "y/q.conf", "y/r.txt")) {
            ConfFiles.write(dir, f, "");
        }
        Files.createDirectories(dir.resolve("dir.conf"));
        assertEquals(List.of(dir.resolve("a.conf"), dir.resolve("b.conf")), IncludeGlob.expand(dir.resolve("*.conf")));
        assertEquals(List.of(dir.resolve("x/p.conf"), dir.resolve("y/q.conf")),
                IncludeGlob.expand(dir.resolve("*/*.conf")));
        assertEquals(List.of(dir.resolve("a.conf")), IncludeGlob.expand(dir.resolve("a.conf")));
        assertEquals(List.of(), IncludeGlob.expand(dir.resolve("missing.conf")), "no match is no error");
        assertEquals(List.of(), IncludeGlob.expand(dir.resolve("*.ini")));
        assertEquals(List.of(dir.resolve(".hidden.conf")), IncludeGlob.expand(dir.resolve(".*.conf")));
    }

    @Test
    @DisplayName("a directory the pattern must list but cannot is an error")
    void missingDirectory() {
        assertEquals("cannot read the directory " + dir.resolve("nothere") + ": No such file or directory",
                assertThrows(IncludeGlob.GlobException.class,
                        () -> IncludeGlob.expand(dir.resolve("nothere/*.conf"))).getMessage());
    }

    @Test
    @DisplayName("fnmatch: * ? [a-z] [!x] and a leading dot")
    void match() {
        assertTrue(IncludeGlob.matches("*.conf", "www.conf"));
        assertFalse(IncludeGlob.matches("*.conf", "www.conf.bak"));
        assertTrue(IncludeGlob.matches("w?w.conf", "www.conf"));
        assertTrue(IncludeGlob.matches("[a-w]*.conf", "www.conf"));
        assertFalse(IncludeGlob.matches("[!w]*.conf", "www.conf"));
        assertTrue(IncludeGlob.matches("[^x]*", "www"));
        assertTrue(IncludeGlob.matches("{a,b}", "{a,b}"), "no brace expansion, as glob(3) without GLOB_BRACE");
        assertFalse(IncludeGlob.matches("*", ".hidden"));
        assertTrue(IncludeGlob.matches("[", "["));
    }
}
