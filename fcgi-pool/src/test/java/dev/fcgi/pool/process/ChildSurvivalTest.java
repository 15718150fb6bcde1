package dev.fcgi.pool.process;

import dev.fcgi.protocol.testing.Await;
import dev.fcgi.protocol.testing.ExternalTools;
import dev.fcgi.protocol.testing.ManagedProcess;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * No php-cgi child outlives its JVM: a JVM running a pool of two children ({@link ChildPoolMain}) is stopped with
 * SIGTERM (the shutdown hook stops the children) or killed with SIGKILL (no hook runs: the kernel's parent-death
 * signal, set by {@code setpriv --pdeathsig KILL}, ends them).
 */
class ChildSurvivalTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @ParameterizedTest(name = "JVM stopped with {0}")
    @ValueSource(strings = {"SIGTERM", "SIGKILL"})
    @DisplayName("no child survives its JVM")
    void noChildSurvivesItsJvm(String signal, @TempDir Path tmp) throws Exception {
        String phpCgi = ExternalTools.require("php-cgi8.2", "php-cgi");
        PhpApp.readableByAll(tmp);          // the children's user reaches its socket directory through it
        List<String> command = new ArrayList<>(List.of(ManagedProcess.javaCommand(), "-Djava.io.tmpdir=" + tmp, "-cp",
                System.getProperty("java.class.path"), ChildPoolMain.class.getName(), phpCgi));
        if (PhpApp.childUser() != null) {
            command.add(PhpApp.childUser());
        }
        Process jvm = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        List<Long> pids = new ArrayList<>();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(jvm.getInputStream(), UTF_8));
            String line = out.readLine();
            assertTrue(line != null && line.startsWith("pids "), "the JVM prints its children: " + line);
            Arrays.stream(line.substring(5).trim().split(" ")).map(Long::parseLong).forEach(pids::add);
            assertEquals(2, pids.size());
            for (long pid : pids) {
                assertTrue(alive(pid), "child " + pid + " runs");
                assertEquals(jvm.pid(), ProcessHandle.of(pid).flatMap(ProcessHandle::parent).map(ProcessHandle::pid)
                        .orElse(-1L), "child " + pid + " is the JVM's own child");
            }
            try (var runtime = Files.list(tmp)) {
                assertEquals(1, runtime.filter(p -> p.getFileName().toString().startsWith("fcgi-children-")).count(),
                        "the children's socket directory is in the JVM's java.io.tmpdir");
            }
            if (signal.equals("SIGTERM")) {
                jvm.destroy();
            } else {
                jvm.destroyForcibly();
            }
            assertTrue(jvm.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS), "the JVM exits");
            Await.until(WAIT, () -> pids.stream().noneMatch(ChildSurvivalTest::alive),
                    () -> "children " + pids + " end with their JVM (" + signal + ")");
            if (signal.equals("SIGTERM")) {
                try (var left = Files.list(tmp)) {
                    assertEquals(List.of(), left.map(Path::getFileName).map(Path::toString).toList(),
                            "the JVM's exit removes the children's sockets and their directory");
                }
            }
        } finally {
            jvm.destroyForcibly();
            for (long pid : pids) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);   // ours: started by that JVM
            }
        }
    }

    /** Running, not a zombie: a child whose JVM died is reparented, and a PID 1 that does not reap leaves it Z. */
    private static boolean alive(long pid) {
        if (!ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
            return false;
        }
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
        } catch (IOException e) {
            return false;           // gone meanwhile
        }
    }

}
