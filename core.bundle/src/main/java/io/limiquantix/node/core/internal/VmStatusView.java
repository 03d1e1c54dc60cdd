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

    /**
     * One VM: from the backend's kept listing when it has the VM unchanged since (see {@link ListingCache}; no
     * call at all), else asked now (and kept for the next one).
     */
    VmRecord one(VmEntry e) {
        Optional<Backend> b = registry.find(e.backend());
        if (b.isEmpty()) return away(e);
        if (e.pendingOperation() == null) {
            ListingCache.Kept kept = b.get().listing().kept(e.id());
            // nothing kept yet, or old: a background listing lets the next ones be answered without a call
            if (kept.listingWanted()) refreshInBackground(b.get());
            if (kept.status() != null) return record(e, kept.status().state(), kept.status().reason());
        }
        List<VmLedger.Observed> observed = new ArrayList<>(1);
        VmRecord r = ask(b.get(), e, b.get().listing().ticket(), observed);
        ledger.recordStates(observed);
        return r;
    }

    /** Asks the backend about one VM now, keeps the answer (see {@link ListingCache#settle}) and notes what it saw. */
    private VmRecord ask(Backend b, VmEntry e, ListingCache.Ticket ticket, List<VmLedger.Observed> observed) {
        try {
            VmStatus s = b.calls().call("status of VM " + e.id(), () -> b.hypervisor().status(e.id()));
            b.listing().settle(ticket, e.id(), s);
            observed.add(new VmLedger.Observed(e.id(), s.state(), s.reason()));
            return record(e, s.state(), s.reason());
        } catch (NotFoundException nf) {
            b.listing().settle(ticket, e.id(), null);
            return notReported(e, b);
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
            if (!fromCache(b.get(), group.getValue(), out, observed)) listAll(b.get(), group.getValue(), out, observed);
        }
        ledger.recordStates(observed);
        List<VmRecord> result = new ArrayList<>();
        for (VmEntry e : entries) result.add(out.get(e.id()));
        return result;
    }

    /** Asks the backend for every VM it has; keeps the answer when the backend's events keep it true. */
    private void listAll(Backend b, List<VmEntry> group, Map<String, VmRecord> out, List<VmLedger.Observed> observed) {
        ListingCache.Ticket ticket = b.listing().ticket();
        Map<String, VmStatus> listed = new HashMap<>();
        String failure = null;
        try {
            List<VmStatus> l = b.calls().call("VM listing of backend " + b.name(), b.hypervisor()::listVms);
            if (l != null) for (VmStatus s : l) if (s != null) listed.put(s.id(), s);
            b.listing().install(ticket, l == null ? List.of() : l);
        } catch (HypervisorException ex) {
            failure = "VM listing of backend " + b.name() + " failed: " + ex.getMessage();
        }
        for (VmEntry e : group) {
            VmStatus s = listed.get(e.id());
            if (failure != null) out.put(e.id(), record(e, VmState.UNKNOWN, failure));
            else if (s == null) out.put(e.id(), notReported(e, b));
            else {
                observed.add(new VmLedger.Observed(e.id(), s.state(), s.reason()));
                out.put(e.id(), record(e, s.state(), s.reason()));
            }
        }
    }

    /**
     * Answers from the backend's last listing (see {@link ListingCache}), asking one by one about the VMs an event
     * named since, the ones with an operation in flight and the ones the listing does not have. False when there is
     * no usable listing or asking one by one would cost more than listing everything.
     */
    private boolean fromCache(Backend b, List<VmEntry> group, Map<String, VmRecord> out, List<VmLedger.Observed> observed) {
        ListingCache.Served served = b.listing().serve();
        if (served == null) return false;
        List<VmEntry> ask = new ArrayList<>();
        for (VmEntry e : group)
            if (e.pendingOperation() != null || served.marked().contains(e.id()) || !served.statuses().containsKey(e.id()))
                ask.add(e);
        if (ask.size() > ListingCache.askBudget(group.size())) return false;
        if (served.refreshDue()) refreshInBackground(b);
        for (VmEntry e : group) {
            VmStatus s = served.statuses().get(e.id());
            if (s != null) out.put(e.id(), record(e, s.state(), s.reason()));
        }
        for (VmEntry e : ask) out.put(e.id(), ask(b, e, served.ticket(), observed));
        return true;
    }

    /** Re-takes an old listing without making the caller wait; at most one at a time per backend. */
    private void refreshInBackground(Backend b) {
        if (!b.listing().beginRefresh()) return;
        ListingCache.Ticket ticket = b.listing().ticket();
        try {
            b.calls().start(b.hypervisor()::listVms).whenComplete((l, failure) -> {
                boolean ok = failure == null && l != null;
                try {
                    if (ok) b.listing().install(ticket, l);
                } finally {
                    b.listing().endRefresh(ok);
                }
            });
        } catch (RuntimeException closing) {
            b.listing().endRefresh(false);
        }
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
