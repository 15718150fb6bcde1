package dev.fcgi.pool.process;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * Reads one output pipe (stdout or stderr) of a child process on a small platform thread of its own, so that the child
 * never blocks on a full pipe. With {@code catch_workers_output} every line becomes a WARNING, as FPM writes it:
 * {@code [pool www] child 1234 said into stderr: "..."} (or the bare line without {@code decorate_workers_output});
 * lines longer than FPM's {@code log_limit} (1024) are split. Either way the last few lines are kept, so that a
 * child that fails at start can say why.
 */
final class ChildOutput {

    private static final Logger logger = LoggerFactory.getLogger(ChildOutput.class);
    static final int LINE_LIMIT = 1024;
    private static final int TAIL_LIMIT = 2048;
    private static final long READER_STACK = 256 * 1024;

    private final String pool;
    private final long pid;
    private final String stream;
    private final Consumer<String> sink;     // where caught lines go, or null
    private final boolean decorate;
    private final StringBuilder tail = new StringBuilder();
    private final Thread reader;

    private ChildOutput(String pool, long pid, String stream, InputStream in, Consumer<String> sink,
                        boolean decorate) {
        this.pool = pool;
        this.pid = pid;
        this.stream = stream;
        this.sink = sink;
        this.decorate = decorate;
        // a platform thread: a virtual thread blocked in a pipe read would hold a carrier for the child's life
        this.reader = Thread.ofPlatform().daemon().stackSize(READER_STACK)
                .name("pool-" + pool + "-child-" + pid + "-" + stream).start(() -> pump(in));
    }

    /** Starts reading {@code in}, the child's {@code stream} ("stdout" or "stderr"). */
    static ChildOutput read(String pool, long pid, String stream, InputStream in, boolean log, boolean decorate) {
        return new ChildOutput(pool, pid, stream, in, log ? ChildOutput::warn : null, decorate);
    }

    /** As {@link #read}, with caught lines given to {@code sink} (tests). */
    static ChildOutput read(String pool, long pid, String stream, InputStream in, Consumer<String> sink,
                            boolean decorate) {
        return new ChildOutput(pool, pid, stream, in, sink, decorate);
    }

    private static void warn(String line) {
        logger.warn("{}", line);
    }

    private void pump(InputStream in) {
        ByteArrayOutputStream line = new ByteArrayOutputStream(256);
        byte[] buffer = new byte[4096];
        try (in) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                for (int i = 0; i < n; i++) {
                    byte b = buffer[i];
                    if (b == '\n') {
                        emit(line, false);
                    } else {
                        line.write(b);
                        if (line.size() >= LINE_LIMIT) {
                            emit(line, false);
                        }
                    }
                }
            }
        } catch (IOException e) {
            // the pipe closed under the reader (the child was stopped): what was read is kept
        }
        if (line.size() > 0) {
            emit(line, true);
        }
    }

    private void emit(ByteArrayOutputStream bytes, boolean pipeClosed) {
        String text = bytes.toString(StandardCharsets.UTF_8);
        bytes.reset();
        synchronized (tail) {
            tail.append(text).append('\n');
            if (tail.length() > TAIL_LIMIT) {
                tail.delete(0, tail.length() - TAIL_LIMIT);
            }
        }
        if (sink == null) {
            return;
        }
        sink.accept(decorate ? "[pool " + pool + "] child " + pid + " said into " + stream + ": \"" + text + "\""
                + (pipeClosed ? ", pipe is closed" : "") : text);
    }

    /** The last lines read, up to 2 KiB, waiting up to {@code millis} for the pipe to reach its end first. */
    String tail(long millis) {
        try {
            reader.join(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (tail) {
            return tail.toString().strip();
        }
    }
}
