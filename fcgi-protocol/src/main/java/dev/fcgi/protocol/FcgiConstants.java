package dev.fcgi.protocol;

/**
 * Numbers fixed by FastCGI 1.0, and the names of its management variables.
 */
public final class FcgiConstants {

    /** {@code FCGI_VERSION_1}, the only version. */
    public static final int VERSION_1 = 1;
    /** {@code FCGI_HEADER_LEN}, the length of every record header. */
    public static final int HEADER_LENGTH = 8;
    /** The largest content of one record. */
    public static final int MAX_CONTENT_LENGTH = 0xFFFF;
    /** The largest padding of one record. */
    public static final int MAX_PADDING_LENGTH = 0xFF;
    /** {@code FCGI_NULL_REQUEST_ID}, the id of management records. */
    public static final int NULL_REQUEST_ID = 0;
    /** The largest request id. */
    public static final int MAX_REQUEST_ID = 0xFFFF;
    /** {@code FCGI_LISTENSOCK_FILENO}: a web server that spawns an application passes the listening socket as fd 0. */
    public static final int LISTENSOCK_FILENO = 0;

    /** Management variable: how many connections the application accepts at once. */
    public static final String MAX_CONNS = "FCGI_MAX_CONNS";
    /** Management variable: how many requests the application accepts at once. */
    public static final String MAX_REQS = "FCGI_MAX_REQS";
    /** Management variable: "1" when the application multiplexes requests on a connection, else "0". */
    public static final String MPXS_CONNS = "FCGI_MPXS_CONNS";

    private FcgiConstants() {
    }
}
