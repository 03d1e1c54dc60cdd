package io.limiquantix.node.core.internal;

import io.limiquantix.node.api.Accelerator;
import io.limiquantix.node.api.BackendHealth;
import io.limiquantix.node.api.ConflictException;
import io.limiquantix.node.api.ConsoleInfo;
import io.limiquantix.node.api.DiskSpec;
import io.limiquantix.node.api.Feature;
import io.limiquantix.node.api.Hypervisor;
import io.limiquantix.node.api.HypervisorCapabilities;
import io.limiquantix.node.api.HypervisorException;
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
import io.limiquantix.node.api.VmState;
import io.limiquantix.node.api.VmStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A unit-test double of the {@link Hypervisor} contract: VMs live in a map, capabilities and health are
 * whatever the test sets, and failures can be injected. It only stands in for a backend in this module's unit
 * tests; the real backends are exercised against libvirt in the integration tests.
 */
final class InMemoryTestBackend implements Hypervisor {
    static final Set<Feature> LINUX_BASICS = EnumSet.of(Feature.LINUX_GUEST, Feature.BIOS_FIRMWARE, Feature.UEFI_FIRMWARE,
        Feature.DISK_BOOT, Feature.DIRECT_KERNEL_BOOT, Feature.FILE_DISK, Feature.VIRTIO_DISK, Feature.SERIAL_CONSOLE,
        Feature.VIRTUAL_NETWORK, Feature.VNC_CONSOLE);

    final Map<String, VmStatus> vms = new ConcurrentHashMap<>();
    final List<VmSpec> created = new CopyOnWriteArrayList<>();
    final List<String> calls = Collections.synchronizedList(new ArrayList<>());
    final List<VmEventListener> listeners = new CopyOnWriteArrayList<>();
    final AtomicInteger capabilityProbes = new AtomicInteger();
    volatile HypervisorCapabilities capabilities;
    volatile BackendHealth health = BackendHealth.healthy("ok");
    volatile RuntimeException healthFailure;
    /** When set, health() blocks until it is counted down: a backend that hangs. */
    volatile java.util.concurrent.CountDownLatch healthGate;
    volatile HypervisorException createFailure;
    /** When set, listVms() and status() throw it: a backend whose queries fail. */
    volatile RuntimeException queryFailure;
    volatile Duration operationDelay = Duration.ZERO;
    /** What eventsCoverStateChanges() answers (this backend itself publishes only what a test emits). */
    volatile boolean eventsCover;
    final AtomicInteger listings = new AtomicInteger();
    final AtomicInteger statusCalls = new AtomicInteger();

    InMemoryTestBackend(Set<Feature> features) {
        this(features, 0, 0);
    }

    InMemoryTestBackend(Set<Feature> features, int maxVcpus, long maxMemoryMiB) {
        capabilities = new HypervisorCapabilities("memory", "1", Accelerator.KVM, features, maxVcpus, maxMemoryMiB, true, null);
    }

    static InMemoryTestBackend linux() {
        return new InMemoryTestBackend(LINUX_BASICS);
    }

    static InMemoryTestBackend with(Feature... extra) {
        EnumSet<Feature> f = EnumSet.copyOf(LINUX_BASICS);
        f.addAll(List.of(extra));
        return new InMemoryTestBackend(f);
    }

    /** A VM that exists on this backend without the node having created it. */
    VmStatus define(String id, String name, VmState state) {
        VmStatus s = new VmStatus(id, name, state, "", 1, 512, 0);
        vms.put(id, s);
        return s;
    }

    void emit(VmEvent e) {
        listeners.forEach(l -> l.onEvent(e));
    }

    @Override
    public HypervisorCapabilities capabilities() {
        capabilityProbes.incrementAndGet();
        return capabilities;
    }

    @Override
    public BackendHealth health() {
        if (healthFailure != null) throw healthFailure;
        java.util.concurrent.CountDownLatch gate = healthGate;
        if (gate != null) {
            try {
                gate.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return health;
    }

    @Override
    public VmStatus createVm(VmSpec spec) {
        calls.add("create " + spec.id());
        if (createFailure != null) throw createFailure;
        if (vms.containsKey(spec.id())) throw new ConflictException("VM " + spec.id() + " exists");
        created.add(spec);
        return define(spec.id(), spec.name(), VmState.STOPPED);
    }

    private VmStatus vm(String id) {
        VmStatus s = vms.get(id);
        if (s == null) throw new NotFoundException("no VM " + id);
        return s;
    }

    private void setState(String op, String id, VmState state) {
        calls.add(op + " " + id);
        if (!operationDelay.isZero()) {
            try {
                Thread.sleep(operationDelay.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        VmStatus s = vm(id);
        vms.put(id, new VmStatus(id, s.name(), state, "", s.vcpus(), s.memoryMiB(), 0));
    }

    @Override
    public void startVm(String vmId) {
        setState("start", vmId, VmState.RUNNING);
    }

    @Override
    public void stopVm(String vmId, Duration timeout, ProgressListener progress) {
        setState("stop", vmId, VmState.STOPPED);
    }

    @Override
    public void forceStopVm(String vmId) {
        setState("force-stop", vmId, VmState.STOPPED);
    }

    @Override
    public void rebootVm(String vmId) {
        setState("reboot", vmId, VmState.RUNNING);
    }

    @Override
    public void pauseVm(String vmId) {
        setState("pause", vmId, VmState.PAUSED);
    }

    @Override
    public void resumeVm(String vmId) {
        setState("resume", vmId, VmState.RUNNING);
    }

    @Override
    public void deleteVm(String vmId) {
        calls.add("delete " + vmId);
        if (vm(vmId).state().isActive()) throw new ConflictException("VM " + vmId + " is running");
        vms.remove(vmId);
    }

    @Override
    public VmStatus status(String vmId) {
        statusCalls.incrementAndGet();
        if (queryFailure != null) throw queryFailure;
        return vm(vmId);
    }

    @Override
    public List<VmStatus> listVms() {
        listings.incrementAndGet();
        if (queryFailure != null) throw queryFailure;
        return List.copyOf(vms.values());
    }

    @Override
    public SnapshotInfo createSnapshot(String vmId, SnapshotSpec spec, ProgressListener progress) {
        return new SnapshotInfo(spec.name(), spec.description(), null, vm(vmId).state(), false, false, null, true);
    }

    @Override
    public void revertSnapshot(String vmId, String snapshotName, ProgressListener progress) {
        vm(vmId);
    }

    @Override
    public void deleteSnapshot(String vmId, String snapshotName) {
        vm(vmId);
    }

    @Override
    public List<SnapshotInfo> listSnapshots(String vmId) {
        vm(vmId);
        return List.of();
    }

    @Override
    public ConsoleInfo consoleInfo(String vmId) {
        vm(vmId);
        return new ConsoleInfo(null, "127.0.0.1", 5900, null, null);
    }

    @Override
    public void attachDisk(String vmId, DiskSpec disk) {
        calls.add("attach " + vmId + " " + disk.name());
        vm(vmId);
    }

    @Override
    public void detachDisk(String vmId, String diskName) {
        vm(vmId);
    }

    /** Other "hosts" by target URI: a migration there moves the VM into that backend's map. */
    final Map<String, InMemoryTestBackend> hosts = new ConcurrentHashMap<>();
    /** When set, migrate() throws it and leaves the VM here (a failed or aborted migration). */
    volatile HypervisorException migrateFailure;

    @Override
    public MigrationResult migrate(String vmId, String targetUri, MigrationOptions options, ProgressListener progress) {
        VmStatus s = vm(vmId);
        if (migrateFailure != null) throw migrateFailure;
        vms.remove(vmId);
        InMemoryTestBackend there = hosts.get(targetUri);
        if (there != null) there.vms.put(vmId, s);
        return new MigrationResult(vmId, targetUri, Duration.ZERO, null, 0);
    }

    @Override
    public VmStatus statusAt(String targetUri, String vmId) {
        InMemoryTestBackend there = hosts.get(targetUri);
        if (there == null) throw new io.limiquantix.node.api.BackendUnavailableException("cannot reach " + targetUri, null);
        return there.status(vmId);
    }

    @Override
    public boolean eventsCoverStateChanges() {
        return eventsCover;
    }

    @Override
    public Subscription subscribe(VmEventListener listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }
}
