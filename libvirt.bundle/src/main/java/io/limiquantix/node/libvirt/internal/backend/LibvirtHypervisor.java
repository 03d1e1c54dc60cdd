package io.limiquantix.node.libvirt.internal.backend;

import io.limiquantix.node.api.BackendFailureException;
import io.limiquantix.node.api.BackendHealth;
import io.limiquantix.node.api.BackendUnavailableException;
import io.limiquantix.node.api.ConflictException;
import io.limiquantix.node.api.ConsoleInfo;
import io.limiquantix.node.api.DiskSpec;
import io.limiquantix.node.api.GraphicsSpec;
import io.limiquantix.node.api.Hypervisor;
import io.limiquantix.node.api.HypervisorCapabilities;
import io.limiquantix.node.api.InvalidArgumentException;
import io.limiquantix.node.api.MigrationOptions;
import io.limiquantix.node.api.MigrationResult;
import io.limiquantix.node.api.ProgressListener;
import io.limiquantix.node.api.SnapshotInfo;
import io.limiquantix.node.api.SnapshotSpec;
import io.limiquantix.node.api.Subscription;
import io.limiquantix.node.api.VmEventListener;
import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.api.VmState;
import io.limiquantix.node.api.VmStatus;
import io.limiquantix.node.libvirt.internal.domain.DomainMapper;
import io.limiquantix.node.libvirt.internal.domain.DomainXmlWriter;
import io.limiquantix.node.libvirt.internal.domain.HostCpuVendor;
import io.limiquantix.node.libvirt.internal.domain.HostTarget;
import io.limiquantix.node.libvirt.internal.domain.XmlDoc;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.Error;
import org.libvirt.LibvirtException;

/**
 * The {@link Hypervisor} service over one libvirt connection. Lifecycle calls map one-to-one onto libvirt;
 * snapshots, disk hot-plug and migration live in their own classes. VMs belong to libvirtd: closing this
 * object closes the connection and its threads and never touches a domain.
 */
public final class LibvirtHypervisor implements Hypervisor, AutoCloseable {
    private static final Logger LOG = Logger.getLogger(LibvirtHypervisor.class.getName());
    // libvirt's VIR_DOMAIN_UNDEFINE_* values libvirt-java 0.5.4 does not name.
    private static final int UNDEFINE_NVRAM = 4;
    private static final int UNDEFINE_CHECKPOINTS_METADATA = 16;
    private static final Duration DEFAULT_STOP_TIMEOUT = Duration.ofMinutes(2);
    /** Guests that were still booting ignore an ACPI power button press; it is pressed again this often. */
    private static final Duration SHUTDOWN_REPEAT = Duration.ofSeconds(10);

    private final String name;
    private final boolean testDriver;
    private final boolean local;
    private final AccelDecision.Requested requestedAccel;
    private final EventHub events;
    private final LibvirtConnection conn;
    private final SnapshotOperations snapshots;
    private final DiskHotplug disks;
    private final MigrationRunner migration;
    private final RbdSecrets secrets;
    private volatile AccelDecision accel;
    private volatile HostCpuVendor cpuVendor = HostCpuVendor.UNKNOWN;
    /** Hyper-V enlightenments QEMU accepts here (HyperVProbe, stored or probed in the background). */
    private final HyperVLookup hyperv;
    private volatile HypervisorCapabilities capabilities;

    public LibvirtHypervisor(String name, String uri, AccelDecision.Requested accel) {
        this(name, uri, accel, SecretLookup.NONE);
    }

    /** {@code secrets} gives the cephx keys of rbd disks (the storage bundles' lookup services). */
    public LibvirtHypervisor(String name, String uri, AccelDecision.Requested accel, SecretLookup secrets) {
        this.name = name;
        this.testDriver = uri.startsWith("test:");
        // The test driver runs no QEMU (nothing can hang) and has no secret driver: no secrets there.
        this.secrets = new RbdSecrets(name, testDriver ? null : secrets, !testDriver);
        this.local = isLocal(uri);
        this.requestedAccel = accel;
        this.events = new EventHub(name);
        this.conn = new LibvirtConnection(name, uri, events, this::onConnected);
        this.snapshots = new SnapshotOperations(conn, local && !testDriver);
        this.disks = new DiskHotplug(conn, this.secrets);
        this.migration = new MigrationRunner(name, conn);
        this.hyperv = new HyperVLookup(name);
    }

    /** Starts connecting in the background; returns at once. */
    public void open() {
        conn.open();
    }

    static boolean isLocal(String uri) {
        try {
            String host = new java.net.URI(uri).getHost();
            return host == null || host.isEmpty();
        } catch (java.net.URISyntaxException e) {
            return false;
        }
    }

    /** Runs on the connector thread: probing KVM may take seconds and must not hold up a caller. */
    private void onConnected(Connect c) throws LibvirtException {
        if (accel == null && !testDriver) {
            AccelDecision decided = local ? AccelDecision.decide(requestedAccel, CapabilityProbe.offers(c, "kvm"), KvmProbe::result)
                : AccelDecision.forRemote(requestedAccel);
            // Interrupted means the backend is closing: the probe proved nothing, so decide nothing.
            if (Thread.currentThread().isInterrupted()) throw new IllegalStateException("backend " + name + " is closing");
            accel = decided;
            LOG.info("backend " + name + ": " + accel.reason());
        }
        if (!testDriver) cpuVendor = CapabilityProbe.cpuVendor(c);
        // Stored or remembered: taken now; else QEMU is asked on another thread, not holding up this connect.
        if (!testDriver && local && accel.usable()) hyperv.start(accel.accelerator());
        capabilities = CapabilityProbe.probe(c, testDriver, local, accel, CapabilityProbe.HostFiles.debian());
        if (!capabilities.capable()) LOG.warning("backend " + name + " is not capable: " + capabilities.notCapableReason());
    }

    public String name() {
        return name;
    }

    @Override
    public HypervisorCapabilities capabilities() {
        HypervisorCapabilities c = capabilities;
        return c != null ? c : HypervisorCapabilities.notYetKnown(CapabilityProbe.TYPE,
            "not connected to " + conn.uri() + " yet: " + conn.health().detail());
    }

    /** For tests: the connection, to simulate its loss. */
    LibvirtConnection connection() {
        return conn;
    }

    /** True once the first connection has been probed (capabilities are real, not a placeholder). */
    boolean probed() {
        return capabilities != null;
    }

    @Override
    public BackendHealth health() {
        return conn.health();
    }

    private HostTarget target() {
        HypervisorCapabilities caps = capabilities();
        if (!caps.capable()) throw new BackendUnavailableException("backend " + name + " cannot run VMs: " + caps.notCapableReason());
        return HostTarget.of(accel == null ? caps.accelerator() : accel.accelerator(), testDriver, cpuVendor).withHyperV(hyperv.get());
    }

    @Override
    public VmStatus createVm(VmSpec spec) {
        if (spec == null) throw new InvalidArgumentException("spec", "is required");
        if (spec.id() == null) throw new InvalidArgumentException("id", "is required: the node assigns it before defining the VM");
        String xml;
        try {
            xml = DomainXmlWriter.write(new DomainMapper(target()).map(spec));
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new BackendFailureException("cannot write the domain XML for VM " + spec.name() + ": " + e.getMessage(), e);
        }
        List<RbdSecrets.Need> needed = RbdSecrets.fromSpecs("disks", spec.disks());
        return conn.call("define VM " + spec.name(), c -> {
            // defineXML with a known UUID silently replaces that definition, so both clashes are refused
            // up front. The node orders operations per VM, so no second define of this id races with us.
            // Every handle is freed here, not left to its finalizer: a finalizer calls libvirt through this bundle's
            // JNA classes after the bundle may have stopped, which puts them back into JNA's caches for good.
            Domain byId = find(c, spec.id(), true);
            try {
                if (byId != null) throw new ConflictException("a VM with id " + spec.id() + " is already defined on backend " + name
                    + " (as " + byId.getName() + ")");
            } finally {
                Domains.free(byId);
            }
            Domain byName = find(c, spec.name(), false);
            try {
                if (byName != null) throw new ConflictException("name: " + spec.name() + " is already used on backend " + name
                    + " by VM " + byName.getUUIDString());
            } finally {
                Domains.free(byName);
            }
            secrets.ensure(RbdSecrets.store(c), needed);
            Domain d = c.domainDefineXML(xml);
            try {
                return Domains.status(d);
            } catch (LibvirtException e) {
                return new VmStatus(spec.id(), spec.name(), VmState.STOPPED, "defined", spec.cpu().vcpus(), spec.memory().sizeMiB(), 0);
            } finally {
                Domains.free(d);
            }
        });
    }

    private static Domain find(Connect c, String key, boolean byUuid) throws LibvirtException {
        try {
            return byUuid ? c.domainLookupByUUIDString(key) : c.domainLookupByName(key);
        } catch (LibvirtException e) {
            if (e.getError() != null && e.getError().getCode() == Error.ErrorNumber.VIR_ERR_NO_DOMAIN) return null;
            throw e;
        }
    }

    @Override
    public void startVm(String vmId) {
        onDomain("start VM " + vmId, vmId, d -> {
            // Drivers word "already running" differently (the test driver as an internal error): check first.
            if (d.isActive() == 1) throw new ConflictException("VM " + vmId + " is already running");
            // rbd disks: their secrets must hold the key before QEMU starts, or it hangs with the domain paused.
            secrets.ensure(RbdSecrets.store(d.getConnect()),
                RbdSecrets.fromDomainXml(XmlDoc.parse(d.getXMLDesc(Domain.XMLFlags.INACTIVE))));
            d.create();
        });
    }

    @Override
    public void stopVm(String vmId, Duration timeout, ProgressListener progress) {
        Duration limit = timeout == null ? DEFAULT_STOP_TIMEOUT : timeout;
        if (limit.isNegative()) throw new InvalidArgumentException("timeout", "must not be negative");
        new GracefulStop(conn, vmId, limit, SHUTDOWN_REPEAT, progress).run();
    }

    @Override
    public void forceStopVm(String vmId) {
        onDomain("force-stop VM " + vmId, vmId, Domain::destroy);
    }

    @Override
    public void rebootVm(String vmId) {
        onDomain("reboot VM " + vmId, vmId, d -> d.reboot(0));
    }

    @Override
    public void pauseVm(String vmId) {
        onDomain("pause VM " + vmId, vmId, Domain::suspend);
    }

    @Override
    public void resumeVm(String vmId) {
        onDomain("resume VM " + vmId, vmId, Domain::resume);
    }

    @Override
    public void deleteVm(String vmId) {
        onDomain("delete VM " + vmId, vmId, d -> {
            if (d.isActive() == 1) throw new ConflictException("VM " + vmId + " is running; stop it before deleting it");
            int flags = Domain.UndefineFlags.MANAGED_SAVE | Domain.UndefineFlags.SNAPSHOTS_METADATA;
            // The test driver refuses flags it has nothing for; real drivers take them all.
            if (!testDriver) flags |= UNDEFINE_NVRAM | UNDEFINE_CHECKPOINTS_METADATA;
            d.undefine(flags);
        });
    }

    @Override
    public VmStatus status(String vmId) {
        return conn.call("status of VM " + vmId, c -> {
            Domain d = Domains.lookup(c, vmId);
            try {
                return Domains.status(d);
            } finally {
                Domains.free(d);
            }
        });
    }

    @Override
    public List<VmStatus> listVms() {
        return conn.call("list VMs", c -> {
            try {
                return BulkStats.statuses(c);
            } catch (LibvirtException e) {
                // A driver without virConnectGetAllDomainStats: ask domain by domain.
                if (e.getError() == null || e.getError().getCode() != Error.ErrorNumber.VIR_ERR_NO_SUPPORT) throw e;
            }
            List<VmStatus> out = new ArrayList<>();
            for (Domain d : c.listAllDomains(0)) {
                try {
                    out.add(Domains.status(d));
                } catch (LibvirtException e) {
                    // undefined between listing and asking: it is simply no longer there
                    if (e.getError() == null || e.getError().getCode() != Error.ErrorNumber.VIR_ERR_NO_DOMAIN) throw e;
                } finally {
                    Domains.free(d);
                }
            }
            return out;
        });
    }

    @Override
    public SnapshotInfo createSnapshot(String vmId, SnapshotSpec spec, ProgressListener progress) {
        if (spec == null) throw new InvalidArgumentException("spec", "is required");
        return snapshots.create(Domains.checkId(vmId), spec, progress);
    }

    @Override
    public void revertSnapshot(String vmId, String snapshotName, ProgressListener progress) {
        snapshots.revert(Domains.checkId(vmId), snapshotName, progress);
    }

    @Override
    public void deleteSnapshot(String vmId, String snapshotName) {
        snapshots.delete(Domains.checkId(vmId), snapshotName);
    }

    @Override
    public List<SnapshotInfo> listSnapshots(String vmId) {
        return snapshots.list(Domains.checkId(vmId));
    }

    @Override
    public ConsoleInfo consoleInfo(String vmId) {
        return conn.call("console of VM " + vmId, c -> {
            Domain d = Domains.lookup(c, vmId);
            try {
                return consoleOf(d);
            } finally {
                Domains.free(d);
            }
        });
    }

    /** From the live XML: the port libvirt picked; SECURE is needed to see the password. */
    private static ConsoleInfo consoleOf(Domain d) throws LibvirtException {
        XmlDoc xml = XmlDoc.parse(d.getXMLDesc(Domain.XMLFlags.SECURE));
        String log = xml.string("/domain/devices/serial[1]/log/@file");
        if (log.isEmpty()) log = xml.string("/domain/devices/console[1]/log/@file");
        String type = xml.string("/domain/devices/graphics[1]/@type");
        if (type.isEmpty()) return new ConsoleInfo(GraphicsSpec.Type.NONE, null, 0, null, log.isEmpty() ? null : log);
        GraphicsSpec.Type t = switch (type) {
            case "vnc" -> GraphicsSpec.Type.VNC;
            case "spice" -> GraphicsSpec.Type.SPICE;
            default -> GraphicsSpec.Type.NONE;
        };
        String host = xml.string("/domain/devices/graphics[1]/listen[@type='address'][1]/@address");
        if (host.isEmpty()) host = xml.string("/domain/devices/graphics[1]/@listen");
        String port = xml.string("/domain/devices/graphics[1]/@port");
        String password = xml.string("/domain/devices/graphics[1]/@passwd");
        return new ConsoleInfo(t, host.isEmpty() ? null : host, port.isEmpty() ? -1 : Integer.parseInt(port),
            password.isEmpty() ? null : password, log.isEmpty() ? null : log);
    }

    @Override
    public void attachDisk(String vmId, DiskSpec disk) {
        disks.attach(Domains.checkId(vmId), disk);
    }

    @Override
    public void detachDisk(String vmId, String diskName) {
        disks.detach(Domains.checkId(vmId), diskName);
    }

    @Override
    public MigrationResult migrate(String vmId, String targetUri, MigrationOptions options, ProgressListener progress) {
        return migration.migrate(vmId, targetUri, options, progress);
    }

    @Override
    public boolean abortMigration(String vmId) {
        return migration.abort(vmId);
    }

    @Override
    public VmStatus statusAt(String targetUri, String vmId) {
        return migration.statusAt(targetUri, vmId);
    }

    @Override
    public Subscription subscribe(VmEventListener listener) {
        return events.subscribe(listener);
    }

    /**
     * Yes: libvirt raises a lifecycle event for every state change (and for definitions made outside the node),
     * each is published (see {@link EventHub#typeOf}), a lost connection is published as BACKEND_DOWN and the
     * next one as BACKEND_UP, and events the hub had to drop as BACKEND_HEALTH.
     */
    @Override
    public boolean eventsCoverStateChanges() {
        return true;
    }

    /** Every domain's counters in one virConnectGetAllDomainStats call (see {@link BulkStats}). */
    @Override
    public List<io.limiquantix.node.api.VmStats> stats() {
        return conn.call("statistics sweep", BulkStats::sweep);
    }

    @FunctionalInterface
    private interface DomainAction {
        void apply(Domain d) throws LibvirtException;
    }

    private void onDomain(String what, String vmId, DomainAction action) {
        conn.call(what, c -> {
            Domain d = Domains.lookup(c, vmId);
            try {
                action.apply(d);
            } finally {
                Domains.free(d);
            }
            return null;
        });
    }

    @Override
    public void close() {
        hyperv.close();
        conn.close();
        events.close();
    }

    @Override
    public String toString() {
        return "libvirt backend " + name + " (" + conn.uri() + ")";
    }
}
