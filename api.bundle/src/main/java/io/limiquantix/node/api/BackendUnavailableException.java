package io.limiquantix.node.api;

/** The backend is absent, unhealthy or cannot be reached; the call may succeed later. */
public class BackendUnavailableException extends HypervisorException {
    private static final long serialVersionUID = 1L;

    public BackendUnavailableException(String message) {
        super(message);
    }

    public BackendUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
