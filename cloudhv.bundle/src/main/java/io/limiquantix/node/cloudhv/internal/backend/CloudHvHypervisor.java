package io.limiquantix.node.cloudhv.internal.backend;

import io.limiquantix.node.api.BackendFailureException;
import io.limiquantix.node.api.BackendHealth;
import io.limiquantix.node.api.ConflictException;
import io.limiquantix.node.api.ConsoleInfo;
import io.limiquantix.node.api.DiskSpec;
import io.limiquantix.node.api.Feature;
import io.limiquantix.node.api.GraphicsSpec;
import io.limiquantix.node.api.Hypervisor;
import io.limiquantix.node.api.HypervisorCapabilities;
import io.limiquantix.node.api.InvalidArgumentException;
import io.limiquantix.node.api.MigrationOptions;
import io.limiquantix.node.api.MigrationResult;
import io.limiquantix.node.api.NotFoundException;
import io.limiquantix.node.api.ProgressListener;
import io.limiquantix.node.api.SnapshotInfo;
import io.limiquantix.node.api.SnapshotSpec;
import io.limiquantix.node.api.Subscription;
import io.limiquantix.node.api.UnsupportedFeatureException;
import io.limiquantix.node.api.VmEvent;
import io.limiquantix.node.api.VmEventListener;
import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.api.VmStatus;
import io.limiquantix.node.cloudhv.internal.chapi.ChApiClient;
import io.limiquantix.node.cloudhv.internal.vmm.VmDirectory;
import io.limiquantix.node.cloudhv.internal.vmm.VmmLauncher;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A {@link Hypervisor} over Cloud Hypervisor: one VMM process per running VM, driven through its REST API on
 * a Unix socket, the VM's definition kept in its state directory. {@link #open()} probes the host and
 * re-adopts the VMMs an earlier instance left running; {@link #close()} lets every VMM run on.
 */
public final class CloudHvHypervisor implements Hypervisor {
    private static final Logger LOG = Logger.getLogger(CloudHvHypervisor.class.getName());

    /** How the backend is set up. {@code skipKvmCheck} is for tests with a stand-in VMM only. */
    public record Settings(Path binary, boolean binaryOnPathToo, Path stateDir, boolean skipKvmCheck, Duration vmmStartWait) {
    }

    private final String name;
    private final Settings settings;
    private final CapabilityProbe.Host host;
    private final ChApiClient api;
    private final EventHub events;
    private final Map<String, ManagedVm> vms = new ConcurrentHashMap<>();
    private volatile HypervisorCapabilities capabilities;
    private volatile VmContext ctx;

    public CloudHvHypervisor(String name, Settings settings, CapabilityProbe.Host host, ChApiClient api) {
        this.name = name;
        this.settings = settings;
        this.host = host;
        this.api = api;
        this.events = new EventHub(name);
    }

    /** Probes the host, then loads every VM in the state directory and adopts the VMMs still running. May take seconds. */
    public void open() {
        CapabilityProbe.Result probe = probe();
        capabilities = probe.capabilities();
        VmmLauncher launcher = capabilities.capable() ? new VmmLauncher(probe.binary(), api, settings.vmmStartWait()) : null;
        Path firmware = host.firmware() != null && Files.isRegularFile(host.firmware()) ? host.firmware() : null;
        ctx = new VmContext(name, api, launcher, new ChVmConfigMapper(firmware), events, capabilities.notCapableReason(), host.taps());
        if (capabilities.capable()) {
            LOG.info("backend " + name + ": Cloud Hypervisor " + capabilities.version() + " at " + probe.binary()
                + ", KVM check: " + probe.kvmCheck() + ", features " + capabilities.features());
        } else {
            LOG.info("backend " + name + " is not capable: " + capabilities.notCapableReason());
        }
        loadAndAdopt();
    }

    /** Probes the host as {@link #open()} does, without changing this backend; for re-checking a backend that is not capable. */
    public CapabilityProbe.Result probe() {
        Path scratch = settings.stateDir().resolve(".probe-" + UUID.randomUUID().toString().substring(0, 8));
        try {
            return CapabilityProbe.probe(settings.binary(), settings.binaryOnPathToo(), settings.skipKvmCheck(), host, api, scratch,
                settings.vmmStartWait());
        } finally {
            deleteQuietly(scratch);
        }
    }

    private void loadAndAdopt() {
        Path root = settings.stateDir();
        if (!Files.isDirectory(root)) return;
        try (var dirs = Files.list(root)) {
            for (Path d : dirs.filter(Files::isDirectory).toList()) {
                String id = d.getFileName().toString();
                if (id.startsWith(".")) continue;
                VmDirectory dir = new VmDirectory(root, id);
                if (!dir.exists()) continue;
                try {
                    ManagedVm vm = new ManagedVm(ctx, dir, dir.readSpec());
                    vm.adoptIfAlive();
                    vms.put(id, vm);
                } catch (IOException | RuntimeException e) {
                    LOG.log(Level.WARNING, "backend " + name + ": cannot load VM state in " + d + "; skipped", e);
                }
            }
        } catch (IOException e) {
            LOG.log(Level.WARNING, "backend " + name + ": cannot scan " + root, e);
        }
        LOG.info("backend " + name + ": " + vms.size() + " VMs in " + root + ", "
            + vms.values().stream().filter(ManagedVm::running).count() + " with a running VMM");
    }

    /** Lets every VMM run on; only this instance's listeners and watchers go. */
    public void close() {
        events.clear();
    }

    public String name() {
        return name;
    }

    @Override
    public HypervisorCapabilities capabilities() {
        HypervisorCapabilities c = capabilities;
        return c != null ? c : HypervisorCapabilities.notYetKnown(CapabilityProbe.TYPE, "backend " + name + " has not probed the host yet");
    }

    @Override
    public BackendHealth health() {
        HypervisorCapabilities c = capabilities();
        return c.capable() ? BackendHealth.healthy("Cloud Hypervisor " + c.version() + ", " + vms.size() + " VMs")
            : BackendHealth.unavailable(c.notCapableReason());
    }

    @Override
    public VmStatus createVm(VmSpec spec) {
        if (spec == null) throw new InvalidArgumentException("spec", "is required");
        if (spec.id() == null) throw new InvalidArgumentException("id", "is required (the node assigns one)");
        VmContext c = requireOpen();
        c.mapper().map(spec, Path.of("/")); // refuses what CH cannot run before anything is written
        c.requireLauncher();
        if (!spec.nics().isEmpty() && (c.taps() == null || !c.taps().usable()))
            throw new UnsupportedFeatureException(Feature.BRIDGE_NETWORK, "backend " + name
                + " cannot create tap devices: iproute2's ip is not installed");
        VmSpec defined = VmNics.withMacs(spec);
        VmDirectory dir = new VmDirectory(settings.stateDir(), spec.id());
        synchronized (vms) {
            if (vms.containsKey(spec.id()) || dir.exists()) throw new ConflictException("VM " + spec.id() + " already exists");
            if (vms.values().stream().anyMatch(v -> v.spec().name().equals(spec.name())))
                throw new ConflictException("a VM named " + spec.name() + " already exists on backend " + name);
            refuseTapClash(defined);
            VmNics.create(c.taps(), defined);
            try {
                dir.create(defined);
            } catch (IOException e) {
                VmNics.removeQuietly(c.taps(), VmNics.tapNames(defined));
                throw new BackendFailureException("cannot write the definition of VM " + spec.id() + ": " + e.getMessage(), e);
            }
            ManagedVm vm = new ManagedVm(c, dir, defined);
            vms.put(spec.id(), vm);
            events.publish(VmEvent.Type.DEFINED, spec.id(), spec.name(), "");
            return vm.status();
        }
    }

    /** Tap names carry 8 hex digits of the VM id; two VMs sharing them cannot both have NICs. */
    private void refuseTapClash(VmSpec spec) {
        if (spec.nics().isEmpty()) return;
        String prefix = VmNics.tapName(spec.id(), 0);
        for (ManagedVm other : vms.values()) {
            if (!other.spec().nics().isEmpty() && VmNics.tapName(other.id(), 0).equals(prefix))
                throw new ConflictException("VM " + spec.id() + " would use the tap names of VM " + other.id()
                    + " (both start with " + spec.id().substring(0, 8) + "); give it another id");
        }
    }

    @Override
    public void startVm(String vmId) {
        vm(vmId).start();
    }

    @Override
    public void stopVm(String vmId, Duration timeout, ProgressListener progress) {
        vm(vmId).stop(timeout == null ? Duration.ofMinutes(2) : timeout, progress == null ? ProgressListener.NONE : progress);
    }

    @Override
    public void forceStopVm(String vmId) {
        vm(vmId).forceStop();
    }

    @Override
    public void rebootVm(String vmId) {
        vm(vmId).reboot();
    }

    @Override
    public void pauseVm(String vmId) {
        vm(vmId).pause();
    }

    @Override
    public void resumeVm(String vmId) {
        vm(vmId).resume();
    }

    @Override
    public void deleteVm(String vmId) {
        ManagedVm vm = vm(vmId);
        synchronized (vms) {
            vm.delete();
            vms.remove(vmId);
        }
    }

    @Override
    public VmStatus status(String vmId) {
        return vm(vmId).status();
    }

    @Override
    public List<VmStatus> listVms() {
        List<VmStatus> out = new ArrayList<>();
        for (ManagedVm vm : vms.values()) out.add(vm.status());
        out.sort(Comparator.comparing(VmStatus::name));
        return out;
    }

    @Override
    public SnapshotInfo createSnapshot(String vmId, SnapshotSpec spec, ProgressListener progress) {
        return VmSnapshots.create(vm(vmId), spec, progress == null ? ProgressListener.NONE : progress);
    }

    @Override
    public void revertSnapshot(String vmId, String snapshotName, ProgressListener progress) {
        VmSnapshots.revert(vm(vmId), snapshotName, progress == null ? ProgressListener.NONE : progress);
    }

    @Override
    public void deleteSnapshot(String vmId, String snapshotName) {
        VmSnapshots.delete(vm(vmId), snapshotName);
    }

    @Override
    public List<SnapshotInfo> listSnapshots(String vmId) {
        return VmSnapshots.list(vm(vmId));
    }

    /** CH has no graphical console; the serial console is written to a file in the VM's directory. */
    @Override
    public ConsoleInfo consoleInfo(String vmId) {
        ManagedVm vm = vm(vmId);
        return new ConsoleInfo(GraphicsSpec.Type.NONE, null, 0, null,
            vm.spec().serialConsole() ? vm.dir().serialLog().toString() : null);
    }

    @Override
    public void attachDisk(String vmId, DiskSpec disk) {
        if (disk == null) throw new InvalidArgumentException("disk", "is required");
        VmDisks.attach(vm(vmId), disk);
    }

    @Override
    public void detachDisk(String vmId, String diskName) {
        VmDisks.detach(vm(vmId), diskName);
    }

    @Override
    public MigrationResult migrate(String vmId, String targetUri, MigrationOptions options, ProgressListener progress) {
        return VmMigration.send(vm(vmId), targetUri, options, progress == null ? ProgressListener.NONE : progress);
    }

    @Override
    public Subscription subscribe(VmEventListener listener) {
        return events.subscribe(listener);
    }

    /**
     * Makes this node the destination of a migration (not part of the Hypervisor contract yet): the VM must be
     * defined here with its spec and stopped; returns once the source has sent it and it runs here.
     */
    public void receiveMigration(String vmId, String listenUri, Duration within) {
        VmMigration.receive(vm(vmId), listenUri, within == null ? Duration.ofHours(1) : within);
    }

    /** The VMM's per-device I/O counters (vm.counters); not part of the Hypervisor contract yet. */
    public com.fasterxml.jackson.databind.node.ObjectNode counters(String vmId) {
        return vm(vmId).counters();
    }

    private ManagedVm vm(String vmId) {
        if (vmId == null) throw new InvalidArgumentException("vmId", "is required");
        ManagedVm vm = vms.get(vmId);
        if (vm == null) throw new NotFoundException("backend " + name + " has no VM " + vmId);
        return vm;
    }

    private VmContext requireOpen() {
        VmContext c = ctx;
        if (c == null) throw new io.limiquantix.node.api.BackendUnavailableException("backend " + name + " is still starting");
        return c;
    }

    private static void deleteQuietly(Path dir) {
        if (!Files.exists(dir)) return;
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            LOG.fine("cannot remove " + dir + ": " + e.getMessage());
        }
    }
}
