package dev.fcgi.pool.config;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The files an {@code include} pattern names, as php-fpm's {@code glob(pattern, GLOB_ERR | GLOB_MARK)}: POSIX
 * wildcards {@code *}, {@code ?} and {@code [...]} (with {@code !} or {@code ^} to negate, and ranges) in any path
 * component, matches sorted by name, a leading dot matched only by a dot, directories left out. A directory the
 * pattern must list but cannot is an error; a pattern that matches nothing is not (php-fpm warns).
 */
final class IncludeGlob {

    private IncludeGlob() {
    }

    /** A directory that a pattern needed to list could not be read. */
    static final class GlobException extends Exception {
        private static final long serialVersionUID = 1L;

        GlobException(String message) {
            super(message);
        }
    }

    /** The regular files {@code pattern} (absolute) matches, sorted. */
    static List<Path> expand(Path pattern) throws GlobException {
        List<Path> current = List.of(pattern.getRoot() == null ? Path.of("") : pattern.getRoot());
        for (Path component : pattern) {
            String part = component.toString();
            List<Path> next = new ArrayList<>();
            for (Path dir : current) {
                if (!hasWildcard(part)) {
                    next.add(dir.resolve(part));
                    continue;
                }
                List<String> names = new ArrayList<>();
                try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
                    for (Path entry : entries) {
                        String name = entry.getFileName().toString();
                        if (matches(part, name)) {
                            names.add(name);
                        }
                    }
                } catch (java.nio.file.NotDirectoryException e) {
                    continue;                      // glob(3) skips a candidate that is not a directory (ENOTDIR)
                } catch (IOException | SecurityException e) {
                    if (current.size() == 1 || Files.exists(dir)) {
                        throw new GlobException("cannot read the directory " + dir + ": " + reason(e));
                    }
                    continue;                      // one of several candidates has no such subdirectory
                }
                names.sort(null);
                names.forEach(n -> next.add(dir.resolve(n)));
            }
            current = next;
        }
        List<Path> files = new ArrayList<>();
        for (Path p : current) {
            if (Files.exists(p) && !Files.isDirectory(p)) {
                files.add(p);
            }
        }
        return files;
    }

    private static String reason(Exception e) {
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "No such file or directory";
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "Permission denied";
        }
        return e.toString();
    }

    static boolean hasWildcard(String s) {
        return s.indexOf('*') >= 0 || s.indexOf('?') >= 0 || s.indexOf('[') >= 0;
    }

    /** POSIX fnmatch with FNM_PERIOD: a leading '.' of {@code name} is matched only by a '.' in the pattern. */
    static boolean matches(String pattern, String name) {
        if (name.startsWith(".") && !pattern.startsWith(".")) {
            return false;
        }
        return match(pattern, 0, name, 0);
    }

    private static boolean match(String p, int pi, String n, int ni) {
        while (pi < p.length()) {
            char c = p.charAt(pi);
            if (c == '*') {
                for (int k = ni; k <= n.length(); k++) {
                    if (match(p, pi + 1, n, k)) {
                        return true;
                    }
                }
                return false;
            }
            if (ni >= n.length()) {
                return false;
            }
            if (c == '?') {
                pi++;
                ni++;
            } else if (c == '[') {
                int end = classEnd(p, pi);
                if (end < 0) {                      // no closing ']': a literal '['
                    if (n.charAt(ni) != '[') {
                        return false;
                    }
                    pi++;
                    ni++;
                } else {
                    if (!inClass(p.substring(pi + 1, end), n.charAt(ni))) {
                        return false;
                    }
                    pi = end + 1;
                    ni++;
                }
            } else {
                if (c == '\\' && pi + 1 < p.length()) {
                    c = p.charAt(++pi);
                }
                if (n.charAt(ni) != c) {
                    return false;
                }
                pi++;
                ni++;
            }
        }
        return ni == n.length();
    }

    /** The index of the ']' closing the class opened at {@code open}, or -1. */
    private static int classEnd(String p, int open) {
        int i = open + 1;
        if (i < p.length() && (p.charAt(i) == '!' || p.charAt(i) == '^')) {
            i++;
        }
        if (i < p.length() && p.charAt(i) == ']') {
            i++;                                    // a ']' first in the class is a member
        }
        while (i < p.length() && p.charAt(i) != ']') {
            i++;
        }
        return i < p.length() ? i : -1;
    }

    private static boolean inClass(String set, char c) {
        boolean negate = !set.isEmpty() && (set.charAt(0) == '!' || set.charAt(0) == '^');
        int i = negate ? 1 : 0;
        boolean found = false;
        while (i < set.length()) {
            char lo = set.charAt(i);
            if (i + 2 < set.length() && set.charAt(i + 1) == '-') {
                char hi = set.charAt(i + 2);
                found |= c >= lo && c <= hi;
                i += 3;
            } else {
                found |= c == lo;
                i++;
            }
        }
        return found != negate;
    }
}
