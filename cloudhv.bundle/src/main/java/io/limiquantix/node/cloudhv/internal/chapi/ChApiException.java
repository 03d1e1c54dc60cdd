package io.limiquantix.node.cloudhv.internal.chapi;

/**
 * A CH API call failed. {@link #status()} is the HTTP status the VMM answered with, or 0 when it could not
 * be reached at all (no socket, nobody listening, no answer in time): callers treat those differently, an
 * unreachable VMM usually means its process is gone.
 */
public final class ChApiException extends Exception {
    private static final long serialVersionUID = 1L;
    private final String endpoint;
    private final int status;
    private final String body;

    public ChApiException(String endpoint, int status, String body, String message, Throwable cause) {
        super(message, cause);
        this.endpoint = endpoint;
        this.status = status;
        this.body = body == null ? "" : body;
    }

    public String endpoint() {
        return endpoint;
    }

    public int status() {
        return status;
    }

    public String body() {
        return body;
    }

    public boolean unreachable() {
        return status == 0;
    }
}
