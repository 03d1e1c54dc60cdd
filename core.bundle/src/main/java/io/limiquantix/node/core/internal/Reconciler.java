package io.limiquantix.node.core.internal;

import io.limiquantix.node.api.BackendUnavailableException;
import io.limiquantix.node.api.HypervisorException;
import io.limiquantix.node.api.VmEvent;
import io.limiquantix.node.api.VmState;
import io.limiquantix.node.api.VmStatus;
import java.lang.System.Logger.Level;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Brings the ledger in line with what a backend reports: when the backend appears (or changes) from its
 * full listing, and in between from its events.
 *
 * <p>The ledger only ever gains knowledge here: unknown VMs are adopted, known ones that the backend does not
 * report are marked MISSING (kept, never deleted), reported ones get their state refreshed. VMs belong to
 * the hypervisor, so nothing here touches a VM itself.
 *
 * <p>A listing is a snapshot and the ledger moves on while it is taken, so entries created after the listing
 * started, entries with an operation in flight, and VMs deleted after it started are left alone.
 */
final class Reconciler {
    private static final System.Logger LOG = System.getLogger(Reconciler.class.getName());

    private final VmLedger ledger;
    private final EventFanOut events;
    /** Ids whose pending operation was found in the ledger at start: interrupted, not in flight. */
    private final Set<String> interrupted;
    /** Settles interrupted migrations from both hosts' answers; null: markers stay until an operator acts. */
    private volatile MigrationHandover handover;

    Reconciler(VmLedger ledger, EventFanOut events, Set<String> interrupted) {
        this.ledger = ledger;
        this.events = events;
        this.interrupted = interrupted;
    }

    void setHandover(MigrationHandover handover) {
        this.handover = handover;
    }

    /** Returns false when the backend could not list its VMs; the ledger is then left as it was. */
    boolean reconcile(Backend b) {
        Instant started = Instant.now();
        List<VmStatus> listed;
        try {
            listed = b.calls().call("VM listing of backend " + b.name(), b.hypervisor()::listVms);
        } catch (HypervisorException e) {
            // A backend that is still connecting says so; that is expected at start and retried, so it is
            // not worth a warning. Anything else is.
            boolean connecting = e instanceof BackendUnavailableException && String.valueOf(e.getMessage()).contains("connecting");
            LOG.log(connecting ? Level.INFO : Level.WARNING, "cannot reconcile " + b + " yet: its VM listing failed: "
                + e.getMessage() + "; the ledger is left as it was");
            return false;
        }
        Map<String, VmStatus> byId = new HashMap<>();
        for (VmStatus s : listed == null ? List.<VmStatus>of() : listed) if (s != null) byId.put(s.id(), s);
        int adopted = 0, missing = 0;
        for (VmStatus s : byId.values()) {
            VmEntry e = ledger.get(s.id()).orElse(null);
            if (e == null) {
                if (ledger.removedSince(s.id(), started)) continue;
                if (adopt(b, s)) adopted++;
            } else if (!e.backend().equals(b.name())) {
                LOG.log(Level.WARNING, "VM " + s.id() + " is reported by backend " + b.name() + " but the ledger gives it"
                    + " to backend " + e.backend() + "; the ledger is left as it is (two backends may share a hypervisor)");
            } else {
                if (settleMigration(b, e, s)) continue;
                settleInterrupted(e, true);
                ledger.recordState(s.id(), s.state(), s.reason());
            }
        }
        for (VmEntry e : ledger.ofBackend(b.name())) {
            if (byId.containsKey(e.id()) || e.createdAt().isAfter(started)) continue;
            if (e.pendingOperation() != null && !interrupted.contains(e.id())) continue;
            if (MigrationHandover.target(e.pendingOperation()) != null) {
                settleMigration(b, e, null);
                continue;
            }
            if (settleInterrupted(e, false)) continue;
            if (e.lastKnownState() == VmState.MISSING) continue;
            ledger.recordState(e.id(), VmState.MISSING, "backend " + b.name() + " does not report this VM");
            events.publish(new VmEvent(VmEvent.Type.MISSING, e.id(), e.name(), b.name(),
                "in the ledger but not reported by backend " + b.name() + "; kept in the ledger", null));
            missing++;
        }
        LOG.log(Level.INFO, "reconciled " + b + ": " + byId.size() + " VMs reported, " + adopted + " adopted, "
            + missing + " newly missing");
        return true;
    }

    private boolean adopt(Backend b, VmStatus s) {
        try {
            ledger.insert(VmEntry.adopted(s.id(), s.name(), b.name(), s.state(), s.reason()), false);
        } catch (HypervisorException e) {
            LOG.log(Level.ERROR, "cannot adopt VM " + s.id() + " (" + s.name() + ") from " + b + ": " + e.getMessage());
            return false;
        }
        events.publish(new VmEvent(VmEvent.Type.ADOPTED, s.id(), s.name(), b.name(),
            "found on backend " + b.name() + " and not in the ledger", null));
        return true;
    }

    /**
     * An operation a node stop interrupted is settled by what the backend shows: a VM whose interrupted
     * create is listed was created, one whose interrupted delete is not listed was deleted. Anything else
     * keeps its marker so the operator sees it. Returns true when the entry was removed.
     */
    private boolean settleInterrupted(VmEntry e, boolean listed) {
        if (e.pendingOperation() == null || !interrupted.contains(e.id())) return false;
        String op = e.pendingOperation();
        try {
            if (listed && !op.equals("delete")) {
                interrupted.remove(e.id());
                ledger.update(e.id(), x -> x.withPending(null));
                LOG.log(Level.INFO, "interrupted '" + op + "' of VM " + e.id() + " settled: the backend has the VM");
            } else if (!listed && op.equals("delete")) {
                interrupted.remove(e.id());
                ledger.remove(e.id());
                LOG.log(Level.INFO, "interrupted delete of VM " + e.id() + " settled: the backend no longer has it");
                return true;
            }
        } catch (HypervisorException ex) {
            LOG.log(Level.ERROR, "cannot settle the interrupted '" + op + "' of VM " + e.id() + ": " + ex.getMessage());
        }
        return false;
    }

    /**
     * An interrupted migration ({@code migrate->target} marker) is settled from what both hosts report
     * ({@link MigrationHandover#settle}). Returns true when the VM left this backend.
     */
    private boolean settleMigration(Backend b, VmEntry e, VmStatus onSource) {
        MigrationHandover h = handover;
        if (h == null || MigrationHandover.target(e.pendingOperation()) == null || !interrupted.contains(e.id())) return false;
        try {
            MigrationHandover.Owner owner = h.settle(b, e, onSource);
            // UNKNOWN keeps the VM among the interrupted ones: the next reconciliation asks both hosts again
            if (owner != MigrationHandover.Owner.UNKNOWN) interrupted.remove(e.id());
            return owner == MigrationHandover.Owner.TARGET;
        } catch (HypervisorException ex) {
            LOG.log(Level.ERROR, "cannot settle the interrupted migration of VM " + e.id() + ": " + ex.getMessage());
            return false;
        }
    }

    /** A backend event: keeps the ledger's last known state current and passes the event on. */
    void onBackendEvent(Backend b, VmEvent raw) {
        if (raw == null) return;
        if (raw.vmId() != null) b.listing().mark(raw.vmId());
        else if (raw.type() == VmEvent.Type.BACKEND_DOWN || raw.type() == VmEvent.Type.BACKEND_UP
            || raw.type() == VmEvent.Type.BACKEND_HEALTH) b.listing().invalidateAll();
        VmEvent e = new VmEvent(raw.type(), raw.vmId(), raw.vmName(), b.name(), raw.detail(), raw.at());
        if (e.vmId() != null) {
            VmEntry known = ledger.get(e.vmId()).orElse(null);
            VmState state = stateAfter(e.type());
            if (known == null && e.type() == VmEvent.Type.DEFINED && e.vmName() != null
                && !ledger.removedSince(e.vmId(), Instant.EPOCH)) {
                adopt(b, new VmStatus(e.vmId(), e.vmName(), VmState.STOPPED, "defined outside the node", 0, 0, 0));
            } else if (known != null && known.backend().equals(b.name())) {
                if (e.type() == VmEvent.Type.UNDEFINED && known.pendingOperation() == null) {
                    ledger.recordState(e.vmId(), VmState.MISSING, "undefined on backend " + b.name() + " outside the node");
                    events.publish(e);
                    events.publish(new VmEvent(VmEvent.Type.MISSING, e.vmId(), known.name(), b.name(),
                        "undefined outside the node; kept in the ledger", null));
                    return;
                }
                if (state != null) ledger.recordState(e.vmId(), state, e.detail());
            }
        }
        events.publish(e);
    }

    static VmState stateAfter(VmEvent.Type t) {
        return switch (t) {
            case STARTED, RESUMED, REBOOTED -> VmState.RUNNING;
            case STOPPED, SHUTDOWN -> VmState.STOPPED;
            case PAUSED -> VmState.PAUSED;
            case CRASHED -> VmState.CRASHED;
            default -> null;
        };
    }
}
