package dev.fcgi.protocol.testing;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A deliberately plain FastCGI peer for tests: writes any bytes or records, and reads records with its own
 * parser (independent of the codec under test). Every read waits at most {@link #timeout}.
 */
public final class RawFcgiConnection implements AutoCloseable {

    /** Record type codes. */
    public static final int BEGIN_REQUEST = 1, ABORT_REQUEST = 2, END_REQUEST = 3, PARAMS = 4, STDIN = 5,
            STDOUT = 6, STDERR = 7, DATA = 8, GET_VALUES = 9, GET_VALUES_RESULT = 10, UNKNOWN_TYPE = 11;

    private final SocketChannel channel;
    private final Selector selector;
    private final ByteBuffer in = ByteBuffer.allocate(1 << 17).flip();
    private Duration timeout = Duration.ofSeconds(20);

    private RawFcgiConnection(SocketChannel channel) throws IOException {
        this.channel = channel;
        channel.configureBlocking(false);
        this.selector = Selector.open();
        channel.register(selector, SelectionKey.OP_READ);
    }

    /** Connects to a TCP or Unix domain socket address. */
    public static RawFcgiConnection connect(SocketAddress address) throws IOException {
        return connect(address, null);
    }

    /**
     * Connects from the local address {@code from} (any port), or the system's choice when {@code null}: on Linux
     * every 127.0.0.0/8 address is a loopback address a test can connect from.
     */
    public static RawFcgiConnection connect(SocketAddress address, InetAddress from) throws IOException {
        SocketChannel channel = address instanceof UnixDomainSocketAddress
                ? SocketChannel.open(StandardProtocolFamily.UNIX) : SocketChannel.open();
        try {
            if (from != null) {
                channel.bind(new InetSocketAddress(from, 0));
            }
            channel.connect(address);
            if (address instanceof InetSocketAddress) {
                channel.socket().setTcpNoDelay(true);
            }
            return new RawFcgiConnection(channel);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    public RawFcgiConnection timeout(Duration timeout) {
        this.timeout = timeout;
        return this;
    }

    // ---- writing

    public RawFcgiConnection write(byte[] bytes) throws IOException {
        ByteBuffer out = ByteBuffer.wrap(bytes);
        while (out.hasRemaining()) {
            if (channel.write(out) == 0) {
                Thread.onSpinWait();
            }
        }
        return this;
    }

    /** One record with zero padding bytes as the spec recommends. */
    public static byte[] record(int type, int id, byte[] content) {
        int padding = -content.length & 7;
        byte[] bytes = new byte[8 + content.length + padding];
        bytes[0] = 1;
        bytes[1] = (byte) type;
        bytes[2] = (byte) (id >> 8);
        bytes[3] = (byte) id;
        bytes[4] = (byte) (content.length >> 8);
        bytes[5] = (byte) content.length;
        bytes[6] = (byte) padding;
        System.arraycopy(content, 0, bytes, 8, content.length);
        return bytes;
    }

    public RawFcgiConnection send(int type, int id, byte[] content) throws IOException {
        return write(record(type, id, content));
    }

    public RawFcgiConnection begin(int id, int role, boolean keepConn) throws IOException {
        return write(record(BEGIN_REQUEST, id, new byte[] {0, (byte) role, (byte) (keepConn ? 1 : 0), 0, 0, 0, 0, 0}));
    }

    /** Sends the pairs in one PARAMS record (if any) and the empty PARAMS record. */
    public RawFcgiConnection params(int id, Map<String, String> params) throws IOException {
        byte[] pairs = pairs(params);
        if (pairs.length > 0) {
            stream(PARAMS, id, pairs);
        }
        return write(record(PARAMS, id, new byte[0]));
    }

    /** Writes {@code content} as records of the stream type (≤ 65535 bytes each), without the end record. */
    public RawFcgiConnection stream(int type, int id, byte[] content) throws IOException {
        for (int offset = 0; offset < content.length; offset += 0xFFFF) {
            int length = Math.min(0xFFFF, content.length - offset);
            byte[] piece = new byte[length];
            System.arraycopy(content, offset, piece, 0, length);
            write(record(type, id, piece));
        }
        return this;
    }

    /** The body as STDIN records and the empty STDIN. */
    public RawFcgiConnection stdin(int id, byte[] body) throws IOException {
        stream(STDIN, id, body);
        return write(record(STDIN, id, new byte[0]));
    }

    /** BEGIN_REQUEST (responder), PARAMS, STDIN: a whole request. */
    public RawFcgiConnection request(int id, boolean keepConn, Map<String, String> params, byte[] body)
            throws IOException {
        begin(id, 1, keepConn);
        params(id, params);
        return stdin(id, body);
    }

    public static byte[] pairs(Map<String, String> params) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        params.forEach((name, value) -> pair(out, name.getBytes(StandardCharsets.ISO_8859_1),
                value.getBytes(StandardCharsets.UTF_8)));
        return out.toByteArray();
    }

    public static void pair(ByteArrayOutputStream out, byte[] name, byte[] value) {
        length(out, name.length);
        length(out, value.length);
        out.writeBytes(name);
        out.writeBytes(value);
    }

    private static void length(ByteArrayOutputStream out, int length) {
        if (length < 128) {
            out.write(length);
        } else {
            out.write((length >> 24) | 0x80);
            out.write(length >> 16);
            out.write(length >> 8);
            out.write(length);
        }
    }

    // ---- reading

    /** A record as read from the wire. */
    public record Record(int type, int requestId, byte[] content) {
        public int appStatus() {
            return ((content[0] & 0xFF) << 24) | ((content[1] & 0xFF) << 16) | ((content[2] & 0xFF) << 8)
                    | (content[3] & 0xFF);
        }

        public int protocolStatus() {
            return content[4] & 0xFF;
        }

        public String text() {
            return new String(content, StandardCharsets.UTF_8);
        }
    }

    /** The next record, or {@code null} when the peer closed the connection between records. */
    public Record readRecord() throws IOException {
        if (!fill(8, true)) {
            return null;
        }
        int version = in.get() & 0xFF;
        if (version != 1) {
            throw new IOException("version " + version);
        }
        int type = in.get() & 0xFF;
        int id = in.getShort() & 0xFFFF;
        int length = in.getShort() & 0xFFFF;
        int padding = in.get() & 0xFF;
        in.get();
        byte[] content = new byte[length];
        fill(length + padding, false);
        in.get(content);
        in.position(in.position() + padding);
        return new Record(type, id, content);
    }

    /** Whether the peer closed the connection (reads to EOF, failing on any further record). */
    public boolean awaitClosed() throws IOException {
        Record record = readRecord();
        if (record != null) {
            throw new IOException("expected the connection to close, got record type " + record.type()
                    + " for request " + record.requestId());
        }
        return true;
    }

    /**
     * Whether the peer has closed the connection, checked without waiting: reads what has arrived (kept for
     * {@link #readRecord()}) and reports end of stream or a reset.
     */
    public boolean isClosedByPeer() throws IOException {
        in.compact();
        try {
            if (!in.hasRemaining()) {
                return false;                   // the buffer is full of unread records: the peer is still writing
            }
            return channel.read(in) < 0;
        } catch (IOException e) {
            if (e.getMessage() != null && e.getMessage().contains("reset")) {
                return true;
            }
            throw e;
        } finally {
            in.flip();
        }
    }

    /** Whether bytes have arrived that no read has taken yet (after {@link #isClosedByPeer()}, for one). */
    public boolean hasUnreadBytes() {
        return in.hasRemaining();
    }

    /** The records of request {@code id} up to its END_REQUEST (records of other ids are kept in {@code others}). */
    public Response readResponse(int id, List<Record> others) throws IOException {
        List<Record> records = new ArrayList<>();
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        for (;;) {
            Record record = readRecord();
            if (record == null) {
                throw new EOFException("connection closed before END_REQUEST of request " + id);
            }
            if (record.requestId() != id) {
                if (others == null) {
                    throw new IOException("unexpected record type " + record.type() + " for request "
                            + record.requestId());
                }
                others.add(record);
                continue;
            }
            records.add(record);
            switch (record.type()) {
                case STDOUT -> stdout.writeBytes(record.content());
                case STDERR -> stderr.writeBytes(record.content());
                case END_REQUEST -> {
                    return new Response(records, stdout.toByteArray(), stderr.toByteArray(), record);
                }
                default -> throw new IOException("unexpected record type " + record.type());
            }
        }
    }

    public Response readResponse(int id) throws IOException {
        return readResponse(id, null);
    }

    /** The responses of several requests whose records interleave, each up to its END_REQUEST. */
    public java.util.Map<Integer, Response> readResponses(int... ids) throws IOException {
        java.util.Map<Integer, List<Record>> records = new java.util.HashMap<>();
        java.util.Map<Integer, Response> responses = new java.util.HashMap<>();
        for (int id : ids) {
            records.put(id, new ArrayList<>());
        }
        while (responses.size() < ids.length) {
            Record record = readRecord();
            if (record == null) {
                throw new EOFException("connection closed before every END_REQUEST of " + java.util.Arrays.toString(ids));
            }
            List<Record> list = records.get(record.requestId());
            if (list == null) {
                throw new IOException("unexpected record type " + record.type() + " for request " + record.requestId());
            }
            list.add(record);
            if (record.type() == END_REQUEST) {
                ByteArrayOutputStream stdout = new ByteArrayOutputStream();
                ByteArrayOutputStream stderr = new ByteArrayOutputStream();
                for (Record r : list) {
                    (r.type() == STDOUT ? stdout : r.type() == STDERR ? stderr : new ByteArrayOutputStream())
                            .writeBytes(r.content());
                }
                responses.put(record.requestId(), new Response(list, stdout.toByteArray(), stderr.toByteArray(), record));
            }
        }
        return responses;
    }

    /** A response: every record, the STDOUT and STDERR streams, and END_REQUEST. */
    public record Response(List<Record> records, byte[] stdout, byte[] stderr, Record end) {
        public String text() {
            return new String(stdout, StandardCharsets.UTF_8);
        }

        public String body() {
            String text = text();
            int split = text.indexOf("\r\n\r\n");
            return split < 0 ? text : text.substring(split + 4);
        }

        public String headers() {
            String text = text();
            int split = text.indexOf("\r\n\r\n");
            return split < 0 ? "" : text.substring(0, split + 2);
        }

        public int status() {
            String headers = headers();
            int at = headers.indexOf("Status: ");
            return at < 0 ? 200 : Integer.parseInt(headers.substring(at + 8, at + 11));
        }
    }

    private boolean fill(int needed, boolean eofAllowed) throws IOException {
        if (in.remaining() >= needed) {
            return true;
        }
        in.compact();
        if (in.capacity() < needed) {
            throw new IOException("record too large for the test buffer");
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (in.position() < needed) {
                int n = channel.read(in);
                if (n < 0) {
                    if (eofAllowed && in.position() == 0) {
                        return false;
                    }
                    throw new EOFException("connection closed inside a record");
                }
                if (n == 0) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        throw new IOException("no data within " + timeout);
                    }
                    selector.select(Math.max(1, left / 1_000_000));
                    selector.selectedKeys().clear();
                }
            }
            return true;
        } catch (IOException e) {
            if (eofAllowed && in.position() == 0 && e.getMessage() != null && e.getMessage().contains("reset")) {
                return false;
            }
            throw e;
        } finally {
            in.flip();
        }
    }

    @Override
    public void close() throws IOException {
        selector.close();
        channel.close();
    }
}
