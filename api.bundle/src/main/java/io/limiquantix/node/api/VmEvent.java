package io.limiquantix.node.api;

import java.time.Instant;

/** Something that happened to a VM or a backend. {@code vmId} is null for backend-level events. */
public record VmEvent(Type type, String vmId, String vmName, String backend, String detail, Instant at) {
    public enum Type {
        DEFINED, UNDEFINED, STARTED, STOPPED, SHUTDOWN, PAUSED, RESUMED, CRASHED, REBOOTED,
        MIGRATED, SNAPSHOT_CREATED, SNAPSHOT_REVERTED, SNAPSHOT_DELETED, DISK_ATTACHED, DISK_DETACHED,
        ADOPTED, MISSING, OPERATION_INTERRUPTED, BACKEND_UP, BACKEND_DOWN, BACKEND_HEALTH
    }

    public VmEvent {
        if (type == null) throw new IllegalArgumentException("type is required");
        detail = detail == null ? "" : detail;
        at = at == null ? Instant.now() : at;
    }
}
