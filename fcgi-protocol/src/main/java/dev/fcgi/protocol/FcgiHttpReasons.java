package dev.fcgi.protocol;

/**
 * Reason phrases for the HTTP status codes of CGI responses, shared by the server (which writes {@code Status:}
 * lines) and the client (which reads them).
 */
public final class FcgiHttpReasons {

    private FcgiHttpReasons() {
    }

    /** The standard reason phrase of {@code status}, or the name of its class ("Client Error") when it has none. */
    public static String of(int status) {
        String standard = standard(status);
        if (!standard.isEmpty()) {
            return standard;
        }
        return status < 200 ? "Informational" : status < 300 ? "Success" : status < 400 ? "Redirection"
                : status < 500 ? "Client Error" : "Server Error";
    }

    /** The standard reason phrase of {@code status}, or an empty string for a code without one. */
    public static String standard(int status) {
        return switch (status) {
            case 100 -> "Continue";
            case 200 -> "OK";
            case 201 -> "Created";
            case 202 -> "Accepted";
            case 204 -> "No Content";
            case 206 -> "Partial Content";
            case 301 -> "Moved Permanently";
            case 302 -> "Found";
            case 303 -> "See Other";
            case 304 -> "Not Modified";
            case 307 -> "Temporary Redirect";
            case 308 -> "Permanent Redirect";
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 408 -> "Request Timeout";
            case 409 -> "Conflict";
            case 410 -> "Gone";
            case 411 -> "Length Required";
            case 413 -> "Content Too Large";
            case 414 -> "URI Too Long";
            case 415 -> "Unsupported Media Type";
            case 429 -> "Too Many Requests";
            case 431 -> "Request Header Fields Too Large";
            case 500 -> "Internal Server Error";
            case 501 -> "Not Implemented";
            case 502 -> "Bad Gateway";
            case 503 -> "Service Unavailable";
            case 504 -> "Gateway Timeout";
            default -> "";
        };
    }
}
