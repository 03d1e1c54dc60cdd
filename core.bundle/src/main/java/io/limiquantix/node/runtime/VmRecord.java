package io.limiquantix.node.runtime;

import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.api.VmState;
import java.time.Instant;

/**
 * A VM as the node knows it: its ledger entry joined with its live state. {@code spec} is null for VMs
 * adopted from a backend (the node did not create them); {@code pendingOperation} names an operation that
 * was in flight when the node last stopped, until it is settled.
 */
public record VmRecord(String id, String name, String backend, VmState state, String stateReason, VmSpec spec,
                       Instant createdAt, boolean adopted, String pendingOperation) {
}
