package io.limiquantix.node.api;

/** The VM, snapshot, disk or volume named does not exist. */
public class NotFoundException extends HypervisorException {
    private static final long serialVersionUID = 1L;

    public NotFoundException(String message) {
        super(message);
    }
}
