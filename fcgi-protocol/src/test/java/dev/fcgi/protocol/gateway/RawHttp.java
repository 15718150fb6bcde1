package dev.fcgi.protocol.gateway;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * An HTTP/1.1 connection written by hand, for what java.net.http hides: exact headers, chunked bodies, two requests
 * on one connection, Expect: 100-continue, closing mid-response, and seeing the server close.
 */
final class RawHttp implements AutoCloseable {

    /** A response as read off the wire. */
    record Response(int status, List<Map.Entry<String, String>> headers, byte[] body) {
        String header(String name) {
            for (Map.Entry<String, String> h : headers) {
                if (h.getKey().equalsIgnoreCase(name)) {
                    return h.getValue();
                }
            }
            return null;
        }

        List<String> headers(String name) {
            List<String> values = new ArrayList<>();
            for (Map.Entry<String, String> h : headers) {
                if (h.getKey().equalsIgnoreCase(name)) {
                    values.add(h.getValue());
                }
            }
            return values;
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    private RawHttp(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    static RawHttp connect(SocketAddress address) throws IOException {
        Socket socket = new Socket();
        try {
            socket.connect(address, 5000);
            socket.setSoTimeout(30_000);
            return new RawHttp(socket);
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }

    /** Sends text as ISO-8859-1, with {@code \n} turned into CRLF. */
    RawHttp send(String text) throws IOException {
        return send(text.replace("\n", "\r\n").getBytes(StandardCharsets.ISO_8859_1));
    }

    RawHttp send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    /** Sends one chunk of a chunked body (an empty one ends the body). */
    RawHttp chunk(byte[] bytes) throws IOException {
        out.write((Integer.toHexString(bytes.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(bytes);
        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
        if (bytes.length == 0) {
            out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        out.flush();
        return this;
    }

    /** Reads a response to a request other than HEAD. */
    Response read() throws IOException {
        return read(false);
    }

    /** Reads a response: head, then the body as its headers delimit it. */
    Response read(boolean head) throws IOException {
        int status = readStatus();
        List<Map.Entry<String, String>> headers = readHeaders();
        Response response = new Response(status, headers, new byte[0]);
        if (head || status < 200 || status == 204 || status == 304) {
            return response;
        }
        String te = response.header("Transfer-Encoding");
        String length = response.header("Content-Length");
        byte[] body;
        if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
            body = readChunked();
        } else if (length != null) {
            body = in.readNBytes(Integer.parseInt(length.strip()));
        } else {
            body = in.readAllBytes();
        }
        return new Response(status, headers, body);
    }

    /** Reads just a status line and headers (an interim 100, or a response whose body is read elsewhere). */
    Response readHead() throws IOException {
        return new Response(readStatus(), readHeaders(), new byte[0]);
    }

    /** Whether the server closed the connection: the next read ends the stream (waits up to 10 s). */
    boolean closedByServer() throws IOException {
        int previous = socket.getSoTimeout();
        socket.setSoTimeout(10_000);
        try {
            return in.read() < 0;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;                                // reset
        } finally {
            socket.setSoTimeout(previous);
        }
    }

    InputStream input() {
        return in;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    private int readStatus() throws IOException {
        String line = readLine();
        if (!line.startsWith("HTTP/1.")) {
            throw new IOException("not a status line: " + line);
        }
        return Integer.parseInt(line.substring(9, 12));
    }

    private List<Map.Entry<String, String>> readHeaders() throws IOException {
        List<Map.Entry<String, String>> headers = new ArrayList<>();
        for (String line = readLine(); !line.isEmpty(); line = readLine()) {
            int colon = line.indexOf(':');
            headers.add(Map.entry(line.substring(0, colon), line.substring(colon + 1).strip()));
        }
        return headers;
    }

    private byte[] readChunked() throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (;;) {
            String size = readLine();
            int semicolon = size.indexOf(';');
            int n = Integer.parseInt((semicolon < 0 ? size : size.substring(0, semicolon)).strip(), 16);
            if (n == 0) {
                while (!readLine().isEmpty()) {
                    // trailers
                }
                return body.toByteArray();
            }
            body.write(in.readNBytes(n));
            readLine();
        }
    }

    private String readLine() throws IOException {
        StringBuilder line = new StringBuilder();
        for (;;) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("connection closed after '" + line + "'");
            }
            if (b == '\n') {
                int end = line.length();
                return end > 0 && line.charAt(end - 1) == '\r' ? line.substring(0, end - 1) : line.toString();
            }
            line.append((char) b);
        }
    }

    static InetSocketAddress loopback(int port) {
        return new InetSocketAddress("127.0.0.1", port);
    }
}
