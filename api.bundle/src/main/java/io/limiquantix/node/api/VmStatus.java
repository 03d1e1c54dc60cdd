package io.limiquantix.node.api;

/** A VM as its backend reports it now. {@code cpuTimeNanos} is 0 when the VM is not running. */
public record VmStatus(String id, String name, VmState state, String reason, int vcpus, long memoryMiB, long cpuTimeNanos) {
    public VmStatus {
        if (id == null || name == null || state == null) throw new IllegalArgumentException("id, name and state are required");
        reason = reason == null ? "" : reason;
    }
}
