package io.limiquantix.node.core.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.api.VmState;
import java.time.Instant;

/**
 * One VM in the ledger: which backend owns it and what the node last knew about it.
 *
 * <p>{@code spec} is null for adopted VMs. {@code unreadableSpec} keeps, verbatim, a stored spec that no
 * longer validates (written by an older node, say): the VM stays known and the spec is written back
 * unchanged rather than dropped. {@code pendingOperation} is set while a state-changing call is in flight;
 * found set at load, it marks an operation a node stop interrupted. {@code deviceProvider} names the
 * provider holding this VM's device reservations, so deletion releases them.
 */
record VmEntry(String id, String name, String backend, VmSpec spec, JsonNode unreadableSpec, Instant createdAt,
               boolean adopted, VmState lastKnownState, String stateReason, String pendingOperation,
               Instant pendingSince, String deviceProvider) {
    VmEntry {
        if (id == null || name == null || backend == null) throw new IllegalArgumentException("id, name and backend are required");
        createdAt = createdAt == null ? Instant.now() : createdAt;
        lastKnownState = lastKnownState == null ? VmState.UNKNOWN : lastKnownState;
        stateReason = stateReason == null ? "" : stateReason;
        if (pendingOperation == null) pendingSince = null;
    }

    static VmEntry created(VmSpec spec, String backend, String deviceProvider) {
        return new VmEntry(spec.id(), spec.name(), backend, spec, null, Instant.now(), false, VmState.UNKNOWN,
            "being created", "create", Instant.now(), deviceProvider);
    }

    static VmEntry adopted(String id, String name, String backend, VmState state, String reason) {
        return new VmEntry(id, name, backend, null, null, Instant.now(), true, state, reason, null, null, null);
    }

    VmEntry withState(VmState state, String reason) {
        return new VmEntry(id, name, backend, spec, unreadableSpec, createdAt, adopted, state, reason, pendingOperation,
            pendingSince, deviceProvider);
    }

    VmEntry withPending(String operation) {
        return new VmEntry(id, name, backend, spec, unreadableSpec, createdAt, adopted, lastKnownState, stateReason,
            operation, operation == null ? null : Instant.now(), deviceProvider);
    }
}
