package io.limiquantix.node.core.internal;

import io.limiquantix.node.api.HypervisorException;
import io.limiquantix.node.api.NotFoundException;
import io.limiquantix.node.api.VmEvent;
import io.limiquantix.node.api.VmState;
import io.limiquantix.node.api.VmStatus;
import java.lang.System.Logger.Level;
import java.util.Optional;

/**
 * How the ledger hands a VM over from this node's backend to a migration destination, so that a crash of
 * either side in between never loses it.
 *
 * <ol>
 *   <li>Before the migration starts, the VM's entry is marked {@code migrate->&lt;target&gt;} (written to disk
 *       before the backend is called): the node now knows the VM may end up at the target.</li>
 *   <li>After success the VM is recorded where it runs now: on this node's backend that reports it (a node
 *       driving both hosts), otherwise it leaves this ledger with a MIGRATED event (the node of the target
 *       adopts it when it reconciles).</li>
 *   <li>After a failure the marker is cleared: the VM stays on the source (the backend guarantees that).</li>
 *   <li>A marker found at start (the node or a host crashed mid-way) is settled by reconciliation from what
 *       libvirt reports on both sides ({@link #decide}).</li>
 * </ol>
 */
final class MigrationHandover {
    private static final System.Logger LOG = System.getLogger(MigrationHandover.class.getName());
    static final String MARKER = "migrate->";

    /** Who owns a VM whose migration was interrupted. */
    enum Owner { SOURCE, TARGET, UNKNOWN }

    private final VmLedger ledger;
    private final BackendRegistry registry;
    private final EventFanOut events;

    MigrationHandover(VmLedger ledger, BackendRegistry registry, EventFanOut events) {
        this.ledger = ledger;
        this.registry = registry;
        this.events = events;
    }

    static String marker(String target) {
        return MARKER + target;
    }

    /** The target of a pending migration marker, or null when the pending operation is something else. */
    static String target(String pendingOperation) {
        return pendingOperation != null && pendingOperation.startsWith(MARKER) ? pendingOperation.substring(MARKER.length()) : null;
    }

    /**
     * Ownership from both sides. A domain that runs on the source wins (libvirt starts the guest on the
     * destination only once the source has handed over, and kills an unfinished incoming one); then one that
     * runs on the target; then a definition (offline migration) on the source, then on the target. With no
     * answer from the target and nothing on the source, nobody can tell: UNKNOWN (the marker is kept).
     *
     * @param source what the source reports (null: it does not have the VM)
     * @param target what the target reports (null: it does not have the VM, or did not answer)
     * @param targetAnswered whether the target could be asked at all
     */
    static Owner decide(VmState source, VmState target, boolean targetAnswered) {
        if (source != null && (source.isActive() || source == VmState.CRASHED)) return Owner.SOURCE;
        if (targetAnswered && target != null && target.isActive()) return Owner.TARGET;
        if (source != null) return Owner.SOURCE;
        if (targetAnswered && target != null) return Owner.TARGET;
        return Owner.UNKNOWN;
    }

    /** Step 1: the durable marker, written before the backend is asked to migrate. */
    void begin(String id, String target) {
        ledger.update(id, e -> e.withPending(marker(target)));
    }

    /** Step 2: the migration succeeded; records the VM where it is now. */
    void completed(String id, String sourceBackend, String target) {
        handOver(id, sourceBackend, target, "migrated to " + target);
    }

    /**
     * Step 4, from reconciliation of the source backend: settles an interrupted migration and says who owns
     * the VM: SOURCE (marker cleared), TARGET (moved or handed over), UNKNOWN (marked MISSING, marker kept).
     */
    Owner settle(Backend source, VmEntry e, VmStatus onSource) {
        String target = target(e.pendingOperation());
        if (target == null) return Owner.SOURCE;
        VmStatus there = null;
        boolean answered = true;
        try {
            there = source.calls().call("status of VM " + e.id() + " at " + target, () -> source.hypervisor().statusAt(target, e.id()));
        } catch (NotFoundException notThere) {
            there = null;
        } catch (HypervisorException unreachable) {
            answered = false;
            LOG.log(Level.WARNING, "cannot ask " + target + " about VM " + e.id() + " whose migration was interrupted: "
                + unreachable.getMessage());
        }
        Owner owner = decide(onSource == null ? null : onSource.state(), there == null ? null : there.state(), answered);
        LOG.log(Level.INFO, "interrupted migration of VM " + e.id() + " to " + target + ": source reports "
            + (onSource == null ? "nothing" : onSource.state()) + ", target " + (answered ? there == null ? "nothing" : there.state()
            : "no answer") + " -> " + owner);
        switch (owner) {
            case SOURCE -> {
                ledger.update(e.id(), x -> x.withPending(null));
                return owner;
            }
            case TARGET -> {
                handOver(e.id(), source.name(), target, "an interrupted migration to " + target + " had completed");
                return owner;
            }
            default -> {
                ledger.recordState(e.id(), VmState.MISSING, "migration to " + target + " was interrupted and neither host"
                    + " reports the VM running; kept in the ledger until one does");
                return owner;
            }
        }
    }

    private void handOver(String id, String sourceBackend, String target, String why) {
        VmEntry e = ledger.get(id).orElse(null);
        if (e == null) return;
        Optional<Backend> local = localOwner(id, sourceBackend);
        if (local.isPresent()) {
            String to = local.get().name();
            ledger.update(id, x -> new VmEntry(x.id(), x.name(), to, x.spec(), x.unreadableSpec(), x.createdAt(), x.adopted(),
                VmState.RUNNING, why, null, null, x.deviceProvider()));
            events.publish(new VmEvent(VmEvent.Type.MIGRATED, id, e.name(), to, why + "; now on backend " + to + " of this node", null));
            LOG.log(Level.INFO, "VM " + id + ": " + why + "; the ledger moved it from backend " + sourceBackend + " to " + to);
        } else {
            ledger.remove(id);
            events.publish(new VmEvent(VmEvent.Type.MIGRATED, id, e.name(), sourceBackend, why
                + "; handed over (the node of the destination adopts it)", null));
            LOG.log(Level.INFO, "VM " + id + ": " + why + "; handed over and removed from this ledger");
        }
    }

    /** Another backend of this node that reports the VM (a node driving both hosts of the migration). */
    private Optional<Backend> localOwner(String id, String sourceBackend) {
        for (Backend b : registry.all()) {
            if (b.name().equals(sourceBackend)) continue;
            try {
                VmStatus s = b.calls().call("status of VM " + id + " on backend " + b.name(), () -> b.hypervisor().status(id));
                if (s != null) return Optional.of(b);
            } catch (HypervisorException notThere) {
                // not on that backend
            }
        }
        return Optional.empty();
    }
}
