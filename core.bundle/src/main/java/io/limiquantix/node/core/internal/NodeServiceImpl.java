package io.limiquantix.node.core.internal;

import io.limiquantix.node.api.BackendUnavailableException;

import io.limiquantix.node.api.ConsoleInfo;
import io.limiquantix.node.api.DiskSpec;
import io.limiquantix.node.api.Hypervisor;
import io.limiquantix.node.api.HypervisorCapabilities;
import io.limiquantix.node.api.HypervisorException;
import io.limiquantix.node.api.InvalidArgumentException;
import io.limiquantix.node.api.MigrationOptions;
import io.limiquantix.node.api.MigrationResult;
import io.limiquantix.node.api.NotFoundException;
import io.limiquantix.node.api.ProgressListener;
import io.limiquantix.node.api.SnapshotInfo;
import io.limiquantix.node.api.SnapshotSpec;
import io.limiquantix.node.api.Subscription;
import io.limiquantix.node.api.VmEvent;
import io.limiquantix.node.api.VmEventListener;
import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.api.device.DeviceProvider;
import io.limiquantix.node.runtime.BackendView;
import io.limiquantix.node.runtime.NodeService;
import io.limiquantix.node.runtime.PlacementDecision;
import io.limiquantix.node.runtime.VmRecord;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import java.util.function.UnaryOperator;

/**
 * The node facade. It owns the runtime's parts and decides which of them each call goes through:
 * creation through {@link VmCreation}, state changes through the VM's operation lane with a pending marker
 * in the ledger, reads straight to the backend. OSGi-free: the {@link Activator} wires it to services.
 */
final class NodeServiceImpl implements NodeService, AutoCloseable {
    private static final System.Logger LOG = System.getLogger(NodeServiceImpl.class.getName());
    /** How long a quick backend query (capabilities, health, status, listing) may take before it counts as failed. */
    static final Duration QUERY_BOUND = Duration.ofSeconds(10);

    private final NodeConfig config;
    private final VmLedger ledger;
    private final BoundedCalls calls;
    private final BackendRegistry registry;
    private final ExtensionProviders providers = new ExtensionProviders();
    private final VmOperationLanes lanes;
    private final EventFanOut events = new EventFanOut();
    private final RecentDecisions decisions = new RecentDecisions();
    private final Set<String> interrupted = ConcurrentHashMap.newKeySet();
    private final Reconciler reconciler;
    private final VmStatusView view;
    private final VmCreation creation;
    private final StorageRoots roots;
    private final BackendLifecycle lifecycle;
    private final MigrationHandover handover;

    NodeServiceImpl(NodeConfig config, VmLedger ledger) {
        this(config, ledger, QUERY_BOUND);
    }

    NodeServiceImpl(NodeConfig config, VmLedger ledger, Duration queryBound) {
        this.config = config;
        this.ledger = ledger;
        this.calls = new BoundedCalls(queryBound);
        this.registry = new BackendRegistry(calls);
        this.lanes = new VmOperationLanes(config.operationThreads());
        this.roots = new StorageRoots(config.storageRoots());
        this.reconciler = new Reconciler(ledger, events, interrupted);
        this.view = new VmStatusView(registry, ledger, interrupted);
        this.creation = new VmCreation(ledger, registry, new RequirementDeriver(providers::volumeProvider),
            new PlacementPolicy(), roots, providers, decisions, lanes);
        this.lifecycle = new BackendLifecycle(ledger, reconciler, events, lanes);
        this.handover = new MigrationHandover(ledger, registry, events);
        reconciler.setHandover(handover);
        reportInterrupted();
        registry.setListener(lifecycle);
    }

    BackendRegistry registry() {
        return registry;
    }

    ExtensionProviders providers() {
        return providers;
    }

    VmOperationLanes lanes() {
        return lanes;
    }

    /** The latest reconciliation of a backend, for tests and the console to wait on. */
    CompletableFuture<Void> reconciliation(String backend) {
        return lifecycle.reconciliation(backend);
    }

    /** Operations found pending in the ledger were interrupted by a node stop: say so instead of hiding them. */
    private void reportInterrupted() {
        for (VmEntry e : ledger.all()) {
            if (e.pendingOperation() == null) continue;
            interrupted.add(e.id());
            VmEvent event = interruptedEvent(e);
            LOG.log(Level.WARNING, "VM " + e.id() + " (" + e.name() + "): " + event.detail());
            events.publish(event);
        }
    }

    private static VmEvent interruptedEvent(VmEntry e) {
        return new VmEvent(VmEvent.Type.OPERATION_INTERRUPTED, e.id(), e.name(), e.backend(), "'" + e.pendingOperation()
            + "' started " + e.pendingSince() + " was interrupted by a node stop; reconciliation with backend "
            + e.backend() + " settles it when it can", e.pendingSince());
    }

    // --- the facade ------------------------------------------------------------------------------------

    @Override
    public List<BackendView> backends() {
        List<BackendView> out = new ArrayList<>();
        List<Backend> all = registry.all();
        all.forEach(Backend::startHealth);
        for (Backend b : all) {
            // Health first: a backend's first healthy answer makes a stale "not connected yet" capability
            // answer be asked again (see Backend.noteHealth).
            io.limiquantix.node.api.BackendHealth health = b.health();
            HypervisorCapabilities caps = b.capabilities();
            String type = b.type().isBlank() ? caps.backendType() : b.type();
            out.add(new BackendView(b.name(), type, b.ranking(), b.serviceId(), caps, health,
                ledger.ofBackend(b.name()).size()));
        }
        return out;
    }

    @Override
    public PlacementDecision place(VmSpec spec) {
        if (spec == null) throw new InvalidArgumentException("spec", "is required");
        return creation.place(spec);
    }

    @Override
    public List<PlacementDecision> recentDecisions() {
        return decisions.newestFirst();
    }

    @Override
    public VmRecord createVm(VmSpec spec) {
        return creation.create(spec);
    }

    @Override
    public VmRecord getVm(String vm) {
        return view.one(ledger.resolve(vm));
    }

    @Override
    public List<VmRecord> listVms() {
        return view.all();
    }

    @Override
    public void startVm(String vm) {
        operate(vm, "start", (h, id) -> {
            checkStorage(id);
            h.startVm(id);
            return null;
        });
    }

    /**
     * Asks each volume provider for the VM's volumes again before a start: resolving connects with the
     * provider's credentials, and libvirt, given a wrong Ceph key, leaves the domain paused and hangs
     * instead of failing. A storage problem is reported here, naming the disk, and nothing is started.
     */
    private void checkStorage(String id) {
        VmSpec spec = ledger.get(id).map(VmEntry::spec).orElse(null);
        if (spec == null) return;
        for (int i = 0; i < spec.disks().size(); i++) {
            String field = "disks[" + i + "]";
            try {
                creation.resolveVolume(field, spec.disks().get(i));
            } catch (HypervisorException e) {
                throw new BackendUnavailableException(field + " (" + spec.disks().get(i).name() + "): its storage is not usable"
                    + " now, so the VM was not started: " + e.getMessage());
            }
        }
    }

    @Override
    public void stopVm(String vm, Duration timeout, ProgressListener progress) {
        Duration t = timeout == null ? Duration.ofMinutes(2) : timeout;
        if (t.isNegative() || t.isZero()) throw new InvalidArgumentException("timeout", "must be positive");
        ProgressListener p = progress == null ? ProgressListener.NONE : progress;
        operate(vm, "stop", (h, id) -> { h.stopVm(id, t, p); return null; });
    }

    @Override
    public void forceStopVm(String vm) {
        operate(vm, "force-stop", (h, id) -> { h.forceStopVm(id); return null; });
    }

    @Override
    public void rebootVm(String vm) {
        operate(vm, "reboot", (h, id) -> { h.rebootVm(id); return null; });
    }

    @Override
    public void pauseVm(String vm) {
        operate(vm, "pause", (h, id) -> { h.pauseVm(id); return null; });
    }

    @Override
    public void resumeVm(String vm) {
        operate(vm, "resume", (h, id) -> { h.resumeVm(id); return null; });
    }

    /** A VM the backend no longer has is deleted from the ledger all the same: that is what was asked. */
    @Override
    public void deleteVm(String vm) {
        operate(vm, "delete", (h, id) -> {
            try {
                h.deleteVm(id);
            } catch (NotFoundException alreadyGone) {
                LOG.log(Level.INFO, "VM " + id + " was already gone from its backend; removing it from the ledger");
            }
            forget(id);
            return null;
        });
    }

    @Override
    public SnapshotInfo createSnapshot(String vm, SnapshotSpec spec, ProgressListener progress) {
        if (spec == null) throw new InvalidArgumentException("spec", "is required");
        ProgressListener p = progress == null ? ProgressListener.NONE : progress;
        return operate(vm, "snapshot", (h, id) -> h.createSnapshot(id, spec, p));
    }

    @Override
    public void revertSnapshot(String vm, String snapshot, ProgressListener progress) {
        ProgressListener p = progress == null ? ProgressListener.NONE : progress;
        operate(vm, "revert-snapshot", (h, id) -> { h.revertSnapshot(id, snapshot, p); return null; });
    }

    @Override
    public void deleteSnapshot(String vm, String snapshot) {
        operate(vm, "delete-snapshot", (h, id) -> { h.deleteSnapshot(id, snapshot); return null; });
    }

    @Override
    public List<SnapshotInfo> listSnapshots(String vm) {
        return read(vm, Hypervisor::listSnapshots);
    }

    @Override
    public ConsoleInfo consoleInfo(String vm) {
        return read(vm, Hypervisor::consoleInfo);
    }

    /** The disk goes through the same path checks and volume resolution as at creation. */
    @Override
    public void attachDisk(String vm, DiskSpec disk) {
        if (disk == null) throw new InvalidArgumentException("disk", "is required");
        roots.checkDisk("disk", disk);
        DiskSpec resolved = creation.resolveVolume("disk", disk);
        operate(vm, "attach-disk", (h, id) -> {
            h.attachDisk(id, resolved);
            rememberDisks(id, disks -> { disks.add(disk); return disks; });
            return null;
        });
    }

    @Override
    public void detachDisk(String vm, String diskName) {
        operate(vm, "detach-disk", (h, id) -> {
            h.detachDisk(id, diskName);
            rememberDisks(id, disks -> { disks.removeIf(d -> d.name().equals(diskName)); return disks; });
            return null;
        });
    }

    /**
     * The ledger hands the VM over ({@link MigrationHandover}): marked {@code migrate->target} before the backend
     * starts, recorded where it runs afterwards (another backend of this node, or handed to the target's node);
     * a failure clears the marker and the VM stays here.
     */
    @Override
    public MigrationResult migrate(String vm, String targetUri, MigrationOptions options, ProgressListener progress) {
        if (targetUri == null || targetUri.isBlank()) throw new InvalidArgumentException("targetUri", "is required");
        MigrationOptions o = options == null ? MigrationOptions.liveDefaults() : options;
        ProgressListener p = progress == null ? ProgressListener.NONE : progress;
        return operate(vm, "migrate", (h, id) -> {
            String source = ledger.get(id).map(VmEntry::backend).orElse("");
            handover.begin(id, targetUri);
            MigrationResult r = h.migrate(id, targetUri, o, p);
            handover.completed(id, source, targetUri);
            return r;
        });
    }

    /** Not queued in the VM's lane: the migration it stops holds that lane. */
    @Override
    public boolean abortMigration(String vm) {
        return read(vm, Hypervisor::abortMigration);
    }

    @Override
    public List<io.limiquantix.node.runtime.BackendStats> stats() {
        return StatsCollector.collect(registry.all());
    }

    @Override
    public Subscription subscribe(VmEventListener listener) {
        if (listener == null) throw new InvalidArgumentException("listener", "is required");
        // Interrupted operations happened before anyone could subscribe; each subscriber hears of the
        // unsettled ones first.
        List<VmEvent> backlog = new ArrayList<>();
        for (String id : interrupted) {
            ledger.get(id).filter(e -> e.pendingOperation() != null).ifPresent(e -> backlog.add(interruptedEvent(e)));
        }
        return events.subscribe(listener, backlog);
    }

    // --- how calls reach a backend ---------------------------------------------------------------------

    /**
     * Runs a state-changing call in the VM's lane: waits (bounded, without a thread) for the VM's backend,
     * marks the operation pending in the ledger, calls, clears the marker.
     */
    private <T> T operate(String vm, String operation, BiFunction<Hypervisor, String, T> call) {
        String id = ledger.resolve(vm).id();
        return VmOperationLanes.await(lanes.submit(id, () -> {
            VmEntry current = ledger.get(id).orElseThrow(() -> new NotFoundException("VM " + vm + " was deleted"));
            return attempt(id, operation, current.backend(), call, System.nanoTime() + config.backendWait().toNanos());
        }));
    }

    /**
     * One try of an operation on the backend's current registration. A registration that left while the
     * call ran (its bundle is being stopped or swapped) answers BackendUnavailableException — retryable by
     * contract — and the call is then parked again for the next registration, within the same wait.
     */
    private <T> CompletableFuture<T> attempt(String id, String operation, String backend, BiFunction<Hypervisor, String, T> call,
                                             long deadline) {
        Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
        return registry.whenReady(backend, left).thenComposeAsync(b -> {
            try {
                return CompletableFuture.completedFuture(marked(id, operation, b, call));
            } catch (BackendUnavailableException e) {
                if (!registry.isCurrent(b) && System.nanoTime() < deadline) {
                    LOG.log(Level.DEBUG, operation + " of VM " + id + " met backend " + b.name() + " leaving; waiting for its return");
                    return attempt(id, operation, backend, call, deadline);
                }
                throw e;
            }
        }, lanes.executor());
    }

    private <T> T marked(String id, String operation, Backend b, BiFunction<Hypervisor, String, T> call) {
        ledger.update(id, e -> e.withPending(operation));
        interrupted.remove(id);
        try {
            return call.apply(b.hypervisor(), id);
        } catch (RuntimeException e) {
            throw BoundedCalls.asHypervisorException(operation + " of VM " + id + " on backend " + b.name(), e);
        } finally {
            b.listing().mark(id); // before the marker goes: a listing must not serve the state from before the call
            try {
                if (ledger.get(id).isPresent()) ledger.update(id, e -> e.withPending(null));
            } catch (HypervisorException e) {
                LOG.log(Level.ERROR, "cannot clear the pending '" + operation + "' of VM " + id + "; it will be reported"
                    + " as interrupted at the next start", e);
            }
        }
    }

    /** Reads wait for the backend like operations but do not queue behind them (a console during a migration). */
    private <T> T read(String vm, BiFunction<Hypervisor, String, T> call) {
        VmEntry e = ledger.resolve(vm);
        long deadline = System.nanoTime() + config.backendWait().toNanos();
        while (true) {
            Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
            Backend b = VmOperationLanes.await(registry.whenReady(e.backend(), left));
            try {
                return call.apply(b.hypervisor(), e.id());
            } catch (BackendUnavailableException ex) {
                // The registration left while answering (see attempt): ask its successor.
                if (registry.isCurrent(b) || System.nanoTime() >= deadline) throw ex;
            } catch (RuntimeException ex) {
                throw BoundedCalls.asHypervisorException("call on backend " + b.name(), ex);
            }
        }
    }

    private void forget(String id) {
        VmEntry e = ledger.get(id).orElse(null);
        ledger.remove(id);
        if (e != null && e.deviceProvider() != null) {
            DeviceProvider p = providers.deviceProvider(e.deviceProvider()).orElse(null);
            if (p == null) LOG.log(Level.ERROR, "device provider " + e.deviceProvider() + " is absent: the devices of VM "
                + id + " stay reserved until it releases them");
            else {
                try {
                    p.release(id);
                } catch (RuntimeException ex) {
                    LOG.log(Level.ERROR, "releasing the devices of VM " + id + " failed", ex);
                }
            }
        }
    }

    /** Keeps the stored spec in step with hot-plugged disks; a spec that would no longer validate is left as was. */
    private void rememberDisks(String id, UnaryOperator<List<DiskSpec>> change) {
        try {
            ledger.update(id, e -> {
                if (e.spec() == null) return e;
                VmSpec s = e.spec().withDisks(change.apply(new ArrayList<>(e.spec().disks())));
                return new VmEntry(e.id(), e.name(), e.backend(), s, null, e.createdAt(), e.adopted(), e.lastKnownState(),
                    e.stateReason(), e.pendingOperation(), e.pendingSince(), e.deviceProvider());
            });
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "the disk change of VM " + id + " is done but its stored spec was not updated: " + e);
        }
    }

    /** Events that could not be delivered because a subscriber fell behind. */
    long droppedEvents() {
        return events.dropped();
    }

    @Override
    public void close() {
        lifecycle.close();
        lanes.close();
        events.close();
        registry.close();
        calls.close();
    }
}
