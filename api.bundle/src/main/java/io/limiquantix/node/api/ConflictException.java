package io.limiquantix.node.api;

/** The operation conflicts with the current state (deleting a running VM, a name already taken, ...). */
public class ConflictException extends HypervisorException {
    private static final long serialVersionUID = 1L;

    public ConflictException(String message) {
        super(message);
    }
}
