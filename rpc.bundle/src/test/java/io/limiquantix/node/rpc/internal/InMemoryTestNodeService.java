package io.limiquantix.node.rpc.internal;

import io.limiquantix.node.api.Accelerator;
import io.limiquantix.node.api.BackendHealth;
import io.limiquantix.node.api.ConflictException;
import io.limiquantix.node.api.ConsoleInfo;
import io.limiquantix.node.api.DiskSpec;
import io.limiquantix.node.api.Feature;
import io.limiquantix.node.api.GraphicsSpec;
import io.limiquantix.node.api.HypervisorCapabilities;
import io.limiquantix.node.api.MigrationOptions;
import io.limiquantix.node.api.MigrationResult;
import io.limiquantix.node.api.NotFoundException;
import io.limiquantix.node.api.OperationProgress;
import io.limiquantix.node.api.ProgressListener;
import io.limiquantix.node.api.SnapshotInfo;
import io.limiquantix.node.api.SnapshotSpec;
import io.limiquantix.node.api.Subscription;
import io.limiquantix.node.api.VmEvent;
import io.limiquantix.node.api.VmEventListener;
import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.api.VmState;
import io.limiquantix.node.runtime.BackendView;
import io.limiquantix.node.runtime.NodeService;
import io.limiquantix.node.runtime.PlacementDecision;
import io.limiquantix.node.runtime.VmRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * A unit-test double of NodeService, nothing more: VMs in a map, every call recorded by name, events
 * published synchronously to subscribers, and a switch that makes the next call throw a given exception.
 * It has none of the real node's placement, ledger or backends; the integration tests exercise those.
 */
final class InMemoryTestNodeService implements NodeService {
    final List<String> calls = new CopyOnWriteArrayList<>();
    final Map<String, VmRecord> vms = new ConcurrentHashMap<>();
    final List<VmEventListener> subscribers = new CopyOnWriteArrayList<>();
    volatile Supplier<RuntimeException> failNext;
    volatile Duration lastStopTimeout;
    volatile MigrationOptions lastMigrationOptions;
    volatile DiskSpec lastAttached;

    private void call(String name) {
        calls.add(name);
        Supplier<RuntimeException> f = failNext;
        if (f != null) {
            failNext = null;
            throw f.get();
        }
    }

    private VmRecord find(String vm) {
        VmRecord r = vms.get(vm);
        if (r == null) r = vms.values().stream().filter(v -> v.name().equals(vm)).findFirst().orElse(null);
        if (r == null) throw new NotFoundException("no VM with id or name '" + vm + "'");
        return r;
    }

    private void state(String vm, VmState state, VmEvent.Type event) {
        VmRecord r = find(vm);
        vms.put(r.id(), new VmRecord(r.id(), r.name(), r.backend(), state, "", r.spec(), r.createdAt(), r.adopted(), null));
        publish(new VmEvent(event, r.id(), r.name(), r.backend(), "", Instant.now()));
    }

    void publish(VmEvent e) {
        subscribers.forEach(s -> s.onEvent(e));
    }

    static final HypervisorCapabilities CAPS = new HypervisorCapabilities("libvirt", "9.0.0", Accelerator.TCG,
        EnumSet.of(Feature.LINUX_GUEST, Feature.DIRECT_KERNEL_BOOT, Feature.SERIAL_CONSOLE), 16, 8192, true, null);

    @Override
    public List<BackendView> backends() {
        call("backends");
        return List.of(new BackendView("test", "libvirt", 10, 42, CAPS, BackendHealth.healthy("ok"), vms.size()),
            new BackendView("away", "cloudhv", 5, 43, HypervisorCapabilities.notCapable("cloudhv", "no binary"),
                BackendHealth.unavailable("no binary"), 0));
    }

    @Override
    public PlacementDecision place(VmSpec spec) {
        call("place");
        return new PlacementDecision(spec.name(), Set.of(Feature.LINUX_GUEST), null, "test", "highest ranking",
            List.of(new PlacementDecision.Candidate("test", 10, true, "chosen"),
                new PlacementDecision.Candidate("away", 5, false, "not capable: no binary")), Instant.now());
    }

    @Override
    public List<PlacementDecision> recentDecisions() {
        call("recentDecisions");
        return List.of();
    }

    @Override
    public VmRecord createVm(VmSpec spec) {
        call("createVm");
        if (vms.values().stream().anyMatch(v -> v.name().equals(spec.name())))
            throw new ConflictException("a VM named '" + spec.name() + "' exists");
        String id = spec.id() != null ? spec.id() : UUID.randomUUID().toString();
        VmRecord r = new VmRecord(id, spec.name(), "test", VmState.STOPPED, "", spec.withId(id), Instant.now(), false, null);
        vms.put(id, r);
        publish(new VmEvent(VmEvent.Type.DEFINED, id, spec.name(), "test", "", Instant.now()));
        return r;
    }

    @Override
    public VmRecord getVm(String vm) {
        call("getVm");
        return find(vm);
    }

    @Override
    public List<VmRecord> listVms() {
        call("listVms");
        return new ArrayList<>(vms.values());
    }

    @Override
    public void startVm(String vm) {
        call("startVm");
        state(vm, VmState.RUNNING, VmEvent.Type.STARTED);
    }

    @Override
    public void stopVm(String vm, Duration timeout, ProgressListener progress) {
        call("stopVm");
        lastStopTimeout = timeout;
        state(vm, VmState.STOPPED, VmEvent.Type.SHUTDOWN);
    }

    @Override
    public void forceStopVm(String vm) {
        call("forceStopVm");
        state(vm, VmState.STOPPED, VmEvent.Type.STOPPED);
    }

    @Override
    public void rebootVm(String vm) {
        call("rebootVm");
        state(vm, VmState.RUNNING, VmEvent.Type.REBOOTED);
    }

    @Override
    public void pauseVm(String vm) {
        call("pauseVm");
        state(vm, VmState.PAUSED, VmEvent.Type.PAUSED);
    }

    @Override
    public void resumeVm(String vm) {
        call("resumeVm");
        state(vm, VmState.RUNNING, VmEvent.Type.RESUMED);
    }

    @Override
    public void deleteVm(String vm) {
        call("deleteVm");
        VmRecord r = find(vm);
        if (r.state().isActive()) throw new ConflictException("VM " + r.name() + " is running; stop it first");
        vms.remove(r.id());
        publish(new VmEvent(VmEvent.Type.UNDEFINED, r.id(), r.name(), "test", "", Instant.now()));
    }

    @Override
    public SnapshotInfo createSnapshot(String vm, SnapshotSpec spec, ProgressListener progress) {
        call("createSnapshot");
        return new SnapshotInfo(spec.name(), spec.description(), Instant.now(), find(vm).state(), spec.includeMemory(),
            spec.external(), null, true);
    }

    @Override
    public void revertSnapshot(String vm, String snapshot, ProgressListener progress) {
        call("revertSnapshot");
        find(vm);
    }

    @Override
    public void deleteSnapshot(String vm, String snapshot) {
        call("deleteSnapshot");
        find(vm);
    }

    @Override
    public List<SnapshotInfo> listSnapshots(String vm) {
        call("listSnapshots");
        find(vm);
        return List.of(new SnapshotInfo("s1", "", Instant.EPOCH, VmState.RUNNING, true, false, null, true));
    }

    @Override
    public ConsoleInfo consoleInfo(String vm) {
        call("consoleInfo");
        find(vm);
        return new ConsoleInfo(GraphicsSpec.Type.VNC, "127.0.0.1", 5901, "secret", "/var/log/serial.log");
    }

    @Override
    public void attachDisk(String vm, DiskSpec disk) {
        call("attachDisk");
        find(vm);
        lastAttached = disk;
    }

    @Override
    public void detachDisk(String vm, String diskName) {
        call("detachDisk");
        find(vm);
    }

    @Override
    public boolean abortMigration(String vm) {
        call("abortMigration");
        find(vm);
        return false;
    }

    @Override
    public MigrationResult migrate(String vm, String targetUri, MigrationOptions options, ProgressListener progress) {
        call("migrate");
        VmRecord r = find(vm);
        lastMigrationOptions = options;
        progress.progress(new OperationProgress("migrate", "copying memory", 0.5, 1000, 500, 500, ""));
        progress.progress(new OperationProgress("migrate", "switching over", 0.99, 1000, 990, 10, ""));
        return new MigrationResult(r.id(), targetUri, Duration.ofSeconds(3), Duration.ofMillis(42), 1000);
    }

    @Override
    public Subscription subscribe(VmEventListener listener) {
        call("subscribe");
        subscribers.add(listener);
        return () -> subscribers.remove(listener);
    }
}
