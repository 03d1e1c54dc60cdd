package io.limiquantix.node.cloudhv.internal.backend;

import io.limiquantix.node.api.BackendFailureException;
import io.limiquantix.node.api.BackendUnavailableException;
import io.limiquantix.node.api.ConflictException;
import io.limiquantix.node.api.HypervisorException;
import io.limiquantix.node.cloudhv.internal.chapi.ChApiClient;
import io.limiquantix.node.cloudhv.internal.chapi.ChApiException;
import io.limiquantix.node.cloudhv.internal.net.TapDevices;
import io.limiquantix.node.cloudhv.internal.vmm.VmmLauncher;

/**
 * What every VM of one backend shares: the API client, the launcher (null when the backend is not capable:
 * no VMM can be started then, running ones are still driven), the mapper, the event hub and the host's taps.
 */
record VmContext(String backend, ChApiClient api, VmmLauncher launcher, ChVmConfigMapper mapper, EventHub events,
                 String notCapableReason, TapDevices taps) {
    VmmLauncher requireLauncher() {
        if (launcher == null) throw new BackendUnavailableException("backend " + backend + " cannot start VMMs: " + notCapableReason);
        return launcher;
    }

    /** CH answers 404/405 when the VM is not in the state the action needs; everything else is a failure. */
    static HypervisorException translate(String what, ChApiException e) {
        if (e.status() == 404 || e.status() == 405) return new ConflictException(what + ": " + e.getMessage());
        if (e.unreachable()) return new BackendFailureException(what + ": the VMM does not answer: " + e.getMessage(), e);
        return new BackendFailureException(what + ": " + e.getMessage(), e);
    }
}
