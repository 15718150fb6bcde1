package dev.fcgi.pool.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Every child process this JVM's pools started and have not yet seen exit, and the JVM shutdown hook that stops
 * them (SIGTERM, then SIGKILL for those still running after a second), so that no child outlives a JVM that exits
 * or is stopped with SIGTERM. A JVM killed with SIGKILL runs no hook: children then get SIGKILL from the kernel, as
 * they are started with a parent-death signal ({@code setpriv --pdeathsig KILL}).
 */
final class ChildReaper {

    private static final long HOOK_GRACE_MILLIS = 1000;
    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();
    private static final Set<Path> SOCKETS = ConcurrentHashMap.newKeySet();
    private static volatile boolean hookInstalled;

    private ChildReaper() {
    }

    /** Tracks {@code process} until it exits. */
    static void track(Process process) {
        installHook();
        LIVE.add(process);
        process.onExit().thenRun(() -> LIVE.remove(process));
    }

    private static void installHook() {
        if (hookInstalled) {
            return;
        }
        synchronized (ChildReaper.class) {
            if (!hookInstalled) {
                Runtime.getRuntime().addShutdownHook(
                        Thread.ofPlatform().name("fcgi-pool-child-reaper").unstarted(ChildReaper::stopAll));
                hookInstalled = true;
            }
        }
    }

    /** Deletes {@code socketFile} at JVM exit unless {@link #forget} comes first. */
    static void deleteAtExit(Path socketFile) {
        SOCKETS.add(socketFile);
    }

    /** The socket file was deleted already. */
    static void forget(Path socketFile) {
        SOCKETS.remove(socketFile);
    }

    /**
     * Stops every live child: SIGTERM to all, a second's grace, SIGKILL to the rest; then deletes their socket
     * files, so that the private directories (deleted at exit) are empty.
     */
    static void stopAll() {
        Set<Process> children = Set.copyOf(LIVE);
        children.forEach(Process::destroy);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(HOOK_GRACE_MILLIS);
        for (Process child : children) {
            try {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !child.waitFor(left, TimeUnit.NANOSECONDS)) {
                    child.destroyForcibly();
                }
            } catch (InterruptedException e) {
                child.destroyForcibly();
            }
        }
        for (Path socket : SOCKETS) {
            try {
                Files.deleteIfExists(socket);
            } catch (IOException e) {
                // best effort at exit
            }
        }
    }

    /** How many children are running now. */
    static int liveCount() {
        return LIVE.size();
    }
}
