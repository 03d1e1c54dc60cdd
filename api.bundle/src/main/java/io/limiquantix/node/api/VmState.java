package io.limiquantix.node.api;

public enum VmState {
    /** Defined, not running. */
    STOPPED,
    RUNNING, PAUSED, SHUTTING_DOWN, CRASHED, SUSPENDED, MIGRATING,
    /** The node's ledger knows the VM but its backend does not report it. */
    MISSING,
    /** The VM's backend is away (being updated or removed); the VM itself is untouched. */
    BACKEND_AWAY,
    UNKNOWN;

    public boolean isActive() {
        return this == RUNNING || this == PAUSED || this == SHUTTING_DOWN || this == MIGRATING || this == SUSPENDED;
    }
}
