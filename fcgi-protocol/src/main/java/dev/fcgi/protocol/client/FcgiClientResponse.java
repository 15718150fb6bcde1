package dev.fcgi.protocol.client;

import dev.fcgi.protocol.FcgiEndRequest;
import dev.fcgi.protocol.FcgiProtocolStatus;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.Charset;
import java.nio.charset.IllegalCharsetNameException;
import java.nio.charset.StandardCharsets;
import java.nio.charset.UnsupportedCharsetException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The response to a {@link FcgiClientRequest}, handed over once its CGI header block has been parsed. The body
 * then streams in: {@link #body()} reads it with bounded memory whatever its size (when the unread part passes
 * {@link FcgiClient.Builder#responseBufferSize(int)}, the connection stops reading until the reader catches up).
 * The body ends at the application's END_REQUEST, after which {@link #appStatus()}, {@link #protocolStatus()} and
 * the complete {@link #stderr()} are available.
 *
 * <p>Read the body to its end or {@link #close()} the response: closing before the end aborts the request
 * (ABORT_REQUEST when other requests share the connection, else the connection is closed) and discards the rest.
 * A response left unread holds its connection until the request timeout aborts it. Thread-safe.
 *
 * <pre>{@code
 * try (FcgiClientResponse response = client.send(request).get()) {
 *     System.out.println(response.status() + " " + response.header("Content-Type"));
 *     response.body().transferTo(out);
 * }
 * }</pre>
 */
public final class FcgiClientResponse implements AutoCloseable {

    private final int requestId;
    private final CgiResponseParser.Head head;
    private final ResponseBody body;
    private final StderrBuffer stderr;
    private final CompletableFuture<FcgiEndRequest> end = new CompletableFuture<>();
    private volatile FcgiEndRequest endRecord;

    FcgiClientResponse(int requestId, CgiResponseParser.Head head, ResponseBody body, StderrBuffer stderr) {
        this.requestId = requestId;
        this.head = head;
        this.body = body;
        this.stderr = stderr;
    }

    /** The HTTP status: from the CGI {@code Status} header; 302 when only {@code Location} is given; else 200. */
    public int status() {
        return head.status();
    }

    /** The reason phrase from the {@code Status} header, or the usual one for the status ("" when none). */
    public String reason() {
        return head.reason();
    }

    /**
     * Every header in the order received, names as sent, repeated names kept. The CGI {@code Status} header is not
     * among them: it is {@link #status()} and {@link #reason()}.
     */
    public List<Map.Entry<String, String>> headers() {
        return head.headers();
    }

    /** The first value of the header {@code name} (case-insensitive), or {@code null}. */
    public String header(String name) {
        for (Map.Entry<String, String> header : head.headers()) {
            if (header.getKey().equalsIgnoreCase(name)) {
                return header.getValue();
            }
        }
        return null;
    }

    /** Every value of the header {@code name} (case-insensitive), in order. */
    public List<String> headers(String name) {
        List<String> values = new ArrayList<>(2);
        for (Map.Entry<String, String> header : head.headers()) {
            if (header.getKey().equalsIgnoreCase(name)) {
                values.add(header.getValue());
            }
        }
        return Collections.unmodifiableList(values);
    }

    /**
     * The body as it streams in. Reads block until bytes arrive; -1 comes after END_REQUEST. A read throws an
     * {@link FcgiClientException} (or {@link FcgiTimeoutException}) when the request failed before its end.
     * Closing the stream closes the response.
     */
    public InputStream body() {
        return body;
    }

    /** Reads the whole body into memory: only for bodies known to be small. */
    public byte[] bodyAsBytes() throws IOException {
        return body.readAllBytes();
    }

    /** Reads the whole body as text, in the charset named by {@code Content-Type} (default UTF-8). */
    public String bodyAsString() throws IOException {
        return new String(bodyAsBytes(), charset());
    }

    /**
     * What the application wrote to FCGI_STDERR so far (PHP sends its error messages there), as UTF-8: the first
     * 64 KiB, followed by a note when more was dropped. Complete once the response has ended.
     */
    public String stderr() {
        return stderr.text();
    }

    /**
     * Completes with the application's END_REQUEST when the response ends, or exceptionally when it fails first.
     * Dependent actions run on the client's callback executor: new virtual threads by default, never an event loop
     * (see {@link FcgiClient.Builder#callbackExecutor}).
     */
    public CompletableFuture<FcgiEndRequest> end() {
        return end;
    }

    /** Whether END_REQUEST has been received: true once {@link #body()} has returned -1. */
    public boolean isEnded() {
        return endRecord != null;
    }

    /**
     * The application's status from END_REQUEST (like a CGI exit code; PHP sends 0). Any value is reported as it
     * is, never treated as a failure.
     *
     * @throws IllegalStateException when the response has not ended yet: read the body to its end first
     */
    public int appStatus() {
        return ended().appStatus();
    }

    /**
     * The protocol status from END_REQUEST, normally {@link FcgiProtocolStatus#REQUEST_COMPLETE}.
     *
     * @throws IllegalStateException when the response has not ended yet: read the body to its end first
     */
    public FcgiProtocolStatus protocolStatus() {
        return ended().protocolStatus();
    }

    /** The request id the response came under (1 without multiplexing). */
    public int requestId() {
        return requestId;
    }

    /** Releases the unread body; before the end, aborts the request. Idempotent. */
    @Override
    public void close() {
        body.close();
    }

    @Override
    public String toString() {
        return "FcgiClientResponse(" + head.status() + ' ' + head.reason() + ", " + head.headers().size()
                + " headers, request id " + requestId + (isEnded() ? ", ended" : "") + ')';
    }

    private FcgiEndRequest ended() {
        FcgiEndRequest record = endRecord;
        if (record == null) {
            throw new IllegalStateException("the response has not ended yet: read the body to its end "
                    + "(or wait for end()) before asking for the END_REQUEST status");
        }
        return record;
    }

    private Charset charset() {
        String type = header("Content-Type");
        if (type != null) {
            for (String part : type.split(";")) {
                String p = part.strip();
                if (p.toLowerCase(Locale.ROOT).startsWith("charset=")) {
                    String name = p.substring(8).strip().replace("\"", "");
                    try {
                        return Charset.forName(name);
                    } catch (IllegalCharsetNameException | UnsupportedCharsetException e) {
                        return StandardCharsets.UTF_8;
                    }
                }
            }
        }
        return StandardCharsets.UTF_8;
    }

    ResponseBody bodyStream() {
        return body;
    }

    /** Called on the event loop when END_REQUEST arrives, before the body stream ends. */
    void ended(FcgiEndRequest record) {
        endRecord = record;
        body.end();
    }

    CompletableFuture<FcgiEndRequest> endFuture() {
        return end;
    }
}
