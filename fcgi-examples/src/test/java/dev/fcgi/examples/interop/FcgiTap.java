package dev.fcgi.examples.interop;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP relay between a web server and the FastCGI server that passes every byte on unchanged and notes every
 * FastCGI record on the way, with its own parser (independent of the codec under test): what the web server sent
 * (GET_VALUES, BEGIN_REQUEST flags and request ids, ABORT_REQUEST) and what the application answered. A record is
 * noted before its bytes are passed on. Each accepted connection is relayed by two platform threads;
 * {@link #close()} closes every socket and waits for them.
 */
final class FcgiTap implements AutoCloseable {

    static final int BEGIN_REQUEST = 1, ABORT_REQUEST = 2, END_REQUEST = 3, PARAMS = 4, STDIN = 5, STDOUT = 6,
            STDERR = 7, DATA = 8, GET_VALUES = 9, GET_VALUES_RESULT = 10;

    /** Which way a record went. */
    enum Direction { TO_APP, TO_WEB_SERVER }

    /**
     * One record: the tap's number of its connection (from 1), the direction, type, request id, content length
     * and content (left empty for STDIN, STDOUT and DATA, which can be large).
     */
    record Record(int connection, Direction direction, int type, int requestId, int contentLength, byte[] content) {

        /** BEGIN_REQUEST's role code. */
        int role() {
            return ((content[0] & 0xFF) << 8) | (content[1] & 0xFF);
        }

        /** BEGIN_REQUEST's FCGI_KEEP_CONN flag. */
        boolean keepConn() {
            return (content[2] & 1) != 0;
        }

        /** END_REQUEST's protocol status (0 REQUEST_COMPLETE, 1 CANT_MPX_CONN, 2 OVERLOADED, 3 UNKNOWN_ROLE). */
        int protocolStatus() {
            return content[4] & 0xFF;
        }

        /** The name-value pairs of GET_VALUES, GET_VALUES_RESULT or PARAMS content, in order. */
        Map<String, String> nameValues() {
            Map<String, String> pairs = new LinkedHashMap<>();
            int at = 0;
            while (at < content.length) {
                int[] nameLength = length(content, at);
                int[] valueLength = length(content, nameLength[1]);
                at = valueLength[1];
                String name = new String(content, at, nameLength[0], StandardCharsets.ISO_8859_1);
                at += nameLength[0];
                pairs.put(name, new String(content, at, valueLength[0], StandardCharsets.ISO_8859_1));
                at += valueLength[0];
            }
            return pairs;
        }

        private static int[] length(byte[] bytes, int at) {
            if ((bytes[at] & 0x80) == 0) {
                return new int[] {bytes[at], at + 1};
            }
            int length = ((bytes[at] & 0x7F) << 24) | ((bytes[at + 1] & 0xFF) << 16) | ((bytes[at + 2] & 0xFF) << 8)
                    | (bytes[at + 3] & 0xFF);
            return new int[] {length, at + 4};
        }

        @Override
        public String toString() {
            String what = switch (type) {
                case GET_VALUES, GET_VALUES_RESULT -> " " + nameValues();
                case BEGIN_REQUEST -> " role " + role() + (keepConn() ? " KEEP_CONN" : "");
                case END_REQUEST -> " protocolStatus " + protocolStatus();
                default -> "";
            };
            return "#" + connection + " " + direction + " type " + type + " id " + requestId + " length "
                    + contentLength + what;
        }
    }

    private final InetSocketAddress target;
    private final ServerSocket listener;
    private final List<Record> records = new CopyOnWriteArrayList<>();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final List<Thread> threads = new CopyOnWriteArrayList<>();
    private final List<String> problems = new CopyOnWriteArrayList<>();
    private final AtomicInteger accepted = new AtomicInteger();
    private volatile boolean closed;
    private final java.util.Set<Integer> closedByWebServer = ConcurrentHashMap.newKeySet();
    /** The first {@link #MAX_KEPT} bytes of each connection and direction, by "connection direction". */
    private final Map<String, ByteArrayOutputStream> kept = new ConcurrentHashMap<>();

    /** At most this many bytes of each connection and direction are kept for {@link #bytes}. */
    static final int MAX_KEPT = 1 << 20;

    private FcgiTap(InetSocketAddress target, ServerSocket listener) {
        this.target = target;
        this.listener = listener;
    }

    /** Listens on a free port of 127.0.0.1 and relays every connection to {@code target}. */
    static FcgiTap start(InetSocketAddress target) throws IOException {
        ServerSocket listener = new ServerSocket(0, 128, InetAddress.getLoopbackAddress());
        FcgiTap tap = new FcgiTap(target, listener);
        tap.spawn("fcgi-tap-accept", tap::acceptLoop);
        return tap;
    }

    /** The port web servers connect to. */
    int port() {
        return listener.getLocalPort();
    }

    /** Every record so far, in the order noted. */
    List<Record> records() {
        return List.copyOf(records);
    }

    /** The records of {@code type} going {@code direction}. */
    List<Record> records(Direction direction, int type) {
        return records.stream().filter(r -> r.direction() == direction && r.type() == type).toList();
    }

    /** The records of the tap's connection {@code connection} going {@code direction}. */
    List<Record> records(int connection, Direction direction) {
        return records.stream().filter(r -> r.connection() == connection && r.direction() == direction).toList();
    }

    /** The connections accepted so far; they are numbered 1 to this. */
    /** Whether the web server closed (or reset) its side of connection {@code connection}. */
    boolean closedByWebServer(int connection) {
        return closedByWebServer.contains(connection);
    }

    int acceptedConnections() {
        return accepted.get();
    }

    /** The bytes that went {@code direction} on the tap's connection {@code connection}: the first MAX_KEPT. */
    byte[] bytes(int connection, Direction direction) {
        ByteArrayOutputStream bytes = kept.get(connection + " " + direction);
        if (bytes == null) {
            return new byte[0];
        }
        synchronized (bytes) {
            return bytes.toByteArray();
        }
    }

    /** Bytes that did not parse as FastCGI records (none expected). */
    List<String> problems() {
        return List.copyOf(problems);
    }

    private void acceptLoop() {
        while (!closed) {
            Socket webServer;
            try {
                webServer = listener.accept();
            } catch (IOException e) {
                if (!closed) {
                    problems.add("accept failed: " + e);
                }
                return;
            }
            int number = accepted.incrementAndGet();
            Socket app = new Socket();
            sockets.add(webServer);
            sockets.add(app);
            try {
                webServer.setTcpNoDelay(true);
                app.setTcpNoDelay(true);
                app.connect(target, 10_000);
            } catch (IOException e) {
                problems.add("#" + number + ": cannot connect to " + target + ": " + e);
                closeQuietly(webServer);
                closeQuietly(app);
                continue;
            }
            AtomicInteger directionsDone = new AtomicInteger();
            spawn("fcgi-tap-" + number + "-to-app",
                    () -> pump(number, Direction.TO_APP, webServer, app, directionsDone));
            spawn("fcgi-tap-" + number + "-to-web-server",
                    () -> pump(number, Direction.TO_WEB_SERVER, app, webServer, directionsDone));
        }
    }

    private void pump(int connection, Direction direction, Socket from, Socket to, AtomicInteger directionsDone) {
        Parser parser = new Parser(connection, direction);
        byte[] buffer = new byte[64 * 1024];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            int n;
            ByteArrayOutputStream keep = kept.computeIfAbsent(connection + " " + direction,
                    key -> new ByteArrayOutputStream());
            while ((n = read(in, buffer, connection, direction)) >= 0) {
                parser.feed(buffer, n);
                synchronized (keep) {
                    keep.write(buffer, 0, Math.min(n, MAX_KEPT - keep.size()));
                }
                out.write(buffer, 0, n);
            }
            if (direction == Direction.TO_APP) {
                closedByWebServer.add(connection);
            }
            to.shutdownOutput();
            if (directionsDone.incrementAndGet() == 2) {
                closeQuietly(from);
                closeQuietly(to);
            }
        } catch (IOException e) {
            // a reset or a close by the other pump: pass it on by closing both ends
            closeQuietly(from);
            closeQuietly(to);
        }
        if (parser.pending.length > 0) {
            problems.add("#" + connection + " " + direction + ": " + parser.pending.length
                    + " bytes of an unfinished record when the connection ended");
        }
    }

    /** Splits a byte stream into records. */
    private final class Parser {
        private final int connection;
        private final Direction direction;
        private byte[] pending = new byte[0];

        Parser(int connection, Direction direction) {
            this.connection = connection;
            this.direction = direction;
        }

        void feed(byte[] bytes, int length) {
            byte[] data = Arrays.copyOf(pending, pending.length + length);
            System.arraycopy(bytes, 0, data, pending.length, length);
            int at = 0;
            while (data.length - at >= 8) {
                int version = data[at] & 0xFF;
                int type = data[at + 1] & 0xFF;
                int id = ((data[at + 2] & 0xFF) << 8) | (data[at + 3] & 0xFF);
                int contentLength = ((data[at + 4] & 0xFF) << 8) | (data[at + 5] & 0xFF);
                int padding = data[at + 6] & 0xFF;
                if (version != 1) {
                    problems.add("#" + connection + " " + direction + ": record version " + version);
                }
                if (data.length - at < 8 + contentLength + padding) {
                    break;
                }
                boolean bulk = type == STDIN || type == STDOUT || type == DATA;
                byte[] content = bulk ? new byte[0] : Arrays.copyOfRange(data, at + 8, at + 8 + contentLength);
                records.add(new Record(connection, direction, type, id, contentLength, content));
                at += 8 + contentLength + padding;
            }
            pending = Arrays.copyOfRange(data, at, data.length);
        }
    }

    /** Reads from one side; a reset from the web server's side counts as its closing the connection. */
    private int read(InputStream in, byte[] buffer, int connection, Direction direction) throws IOException {
        try {
            return in.read(buffer);
        } catch (IOException e) {
            if (direction == Direction.TO_APP) {
                closedByWebServer.add(connection);
            }
            throw e;
        }
    }

    private void spawn(String name, Runnable task) {
        Thread thread = Thread.ofPlatform().name(name).daemon().start(task);
        threads.add(thread);
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    /** Describes every record, for failure messages. */
    String describe() {
        StringBuilder out = new StringBuilder("FcgiTap: " + accepted.get() + " connections, problems " + problems
                + " (non-empty STDIN, STDOUT and DATA records left out)\n");
        List<Record> all = new ArrayList<>(records);
        for (Record record : all) {
            boolean bulk = record.type() == STDIN || record.type() == STDOUT || record.type() == DATA;
            if (!bulk || record.contentLength() == 0) {
                out.append("  ").append(record).append('\n');
            }
        }
        return out.toString();
    }

    @Override
    public void close() throws InterruptedException {
        closed = true;
        try {
            listener.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        for (Socket socket : sockets) {
            closeQuietly(socket);
        }
        for (Thread thread : threads) {
            thread.join(10_000);
        }
    }
}
