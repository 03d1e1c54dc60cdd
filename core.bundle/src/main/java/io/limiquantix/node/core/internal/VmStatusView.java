package io.limiquantix.node.core.internal;

import io.limiquantix.node.api.HypervisorException;
import io.limiquantix.node.api.NotFoundException;
import io.limiquantix.node.api.VmState;
import io.limiquantix.node.api.VmStatus;
import io.limiquantix.node.runtime.VmRecord;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Joins ledger entries with what their backends report now. Listing never fails because one backend does:
 * its VMs show UNKNOWN with the reason, or BACKEND_AWAY when it is not registered.
 */
final class VmStatusView {
    private final BackendRegistry registry;
    private final VmLedger ledger;
    private final Set<String> interrupted;

    VmStatusView(BackendRegistry registry, VmLedger ledger, Set<String> interrupted) {
        this.registry = registry;
        this.ledger = ledger;
        this.interrupted = interrupted;
    }

    VmRecord one(VmEntry e) {
        Optional<Backend> b = registry.find(e.backend());
        if (b.isEmpty()) return away(e);
        try {
            VmStatus s = b.get().calls().call("status of VM " + e.id(), () -> b.get().hypervisor().status(e.id()));
            return live(e, s);
        } catch (NotFoundException nf) {
            return notReported(e, b.get());
        } catch (HypervisorException ex) {
            return record(e, VmState.UNKNOWN, "status from backend " + e.backend() + " failed: " + ex.getMessage());
        }
    }

    List<VmRecord> all() {
        List<VmEntry> entries = ledger.all();
        Map<String, List<VmEntry>> byBackend = new LinkedHashMap<>();
        for (VmEntry e : entries) byBackend.computeIfAbsent(e.backend(), k -> new ArrayList<>()).add(e);
        Map<String, VmRecord> out = new HashMap<>();
        List<VmLedger.Observed> observed = new ArrayList<>();
        for (Map.Entry<String, List<VmEntry>> group : byBackend.entrySet()) {
            Optional<Backend> b = registry.find(group.getKey());
            if (b.isEmpty()) {
                for (VmEntry e : group.getValue()) out.put(e.id(), away(e));
                continue;
            }
            Map<String, VmStatus> listed = new HashMap<>();
            String failure = null;
            try {
                List<VmStatus> l = b.get().calls().call("VM listing of backend " + b.get().name(), b.get().hypervisor()::listVms);
                if (l != null) for (VmStatus s : l) if (s != null) listed.put(s.id(), s);
            } catch (HypervisorException ex) {
                failure = "VM listing of backend " + group.getKey() + " failed: " + ex.getMessage();
            }
            for (VmEntry e : group.getValue()) {
                VmStatus s = listed.get(e.id());
                if (failure != null) out.put(e.id(), record(e, VmState.UNKNOWN, failure));
                else if (s == null) out.put(e.id(), notReported(e, b.get()));
                else {
                    observed.add(new VmLedger.Observed(e.id(), s.state(), s.reason()));
                    out.put(e.id(), record(e, s.state(), s.reason()));
                }
            }
        }
        ledger.recordStates(observed);
        List<VmRecord> result = new ArrayList<>();
        for (VmEntry e : entries) result.add(out.get(e.id()));
        return result;
    }

    private VmRecord live(VmEntry e, VmStatus s) {
        ledger.recordState(e.id(), s.state(), s.reason());
        return record(e, s.state(), s.reason());
    }

    private VmRecord notReported(VmEntry e, Backend b) {
        boolean inFlight = e.pendingOperation() != null && !interrupted.contains(e.id());
        if (inFlight) return record(e, e.lastKnownState(), e.stateReason());
        return record(e, VmState.MISSING, "backend " + b.name() + " does not report this VM");
    }

    private static VmRecord away(VmEntry e) {
        return record(e, VmState.BACKEND_AWAY, "backend " + e.backend() + " is away; the VM itself is untouched (last known"
            + " state " + e.lastKnownState() + ")");
    }

    static VmRecord record(VmEntry e, VmState state, String reason) {
        return new VmRecord(e.id(), e.name(), e.backend(), state, reason, e.spec(), e.createdAt(), e.adopted(),
            e.pendingOperation());
    }
}
