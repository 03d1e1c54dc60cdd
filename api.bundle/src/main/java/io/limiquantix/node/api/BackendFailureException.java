package io.limiquantix.node.api;

/** The backend tried and failed (libvirt or the VMM reported an error); the message carries its words. */
public class BackendFailureException extends HypervisorException {
    private static final long serialVersionUID = 1L;

    public BackendFailureException(String message, Throwable cause) {
        super(message, cause);
    }
}
