package io.limiquantix.node.runtime;

import io.limiquantix.node.api.VmStats;
import java.util.List;

/**
 * One backend's statistics sweep as the node collected it.
 *
 * @param backend the backend's name
 * @param vms what it reported, one entry per VM (its {@code id} is the node's VM id); empty when it did not report
 * @param failure null when the sweep succeeded, else why not (the backend cannot report statistics, or the call
 *                failed or timed out)
 * @param sweepNanos how long the sweep took on the node, including the call to the backend
 * @since 1.1
 */
public record BackendStats(String backend, List<VmStats> vms, String failure, long sweepNanos) {
    public BackendStats {
        vms = vms == null ? List.of() : List.copyOf(vms);
    }

    public boolean reported() {
        return failure == null;
    }
}
