package io.limiquantix.node.runtime;

import io.limiquantix.node.api.BackendHealth;
import io.limiquantix.node.api.HypervisorCapabilities;

/** A backend as the node sees it now. */
public record BackendView(String name, String type, int ranking, long serviceId, HypervisorCapabilities capabilities,
                          BackendHealth health, int vmCount) {
}
