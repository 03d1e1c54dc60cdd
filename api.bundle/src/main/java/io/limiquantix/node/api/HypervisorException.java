package io.limiquantix.node.api;

/** The root of the typed errors every {@link Hypervisor} operation and the node's facade throw. */
public abstract class HypervisorException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    protected HypervisorException(String message) {
        super(message);
    }

    protected HypervisorException(String message, Throwable cause) {
        super(message, cause);
    }
}
