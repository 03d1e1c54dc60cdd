package io.limiquantix.node.gpu.internal;

import io.limiquantix.node.api.BackendFailureException;
import io.limiquantix.node.api.BackendUnavailableException;
import io.limiquantix.node.api.ConflictException;
import io.limiquantix.node.api.GpuRequest;
import io.limiquantix.node.api.InvalidArgumentException;
import io.limiquantix.node.api.device.DeviceProvider;
import io.limiquantix.node.api.device.HostDevice;
import io.limiquantix.node.api.device.HostDeviceSupport;
import io.limiquantix.node.gpu.internal.GpuRequestResolver.MdevCreation;
import io.limiquantix.node.gpu.internal.GpuRequestResolver.Plan;
import io.limiquantix.node.gpu.internal.MdevTypes.MdevType;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * The {@code vfio-pci} device provider: PCI GPUs passed through whole on vfio-pci, and mediated devices
 * (vGPU). A reservation is written to disk before the host is touched and removed only after the host has
 * been given its devices back, so a crash in between leaves a record of what to undo, never a device the
 * node forgot it took.
 *
 * <p>One lock serialises reserve, release and the restart repair: two VMs racing for one GPU must see each
 * other's reservation, and the group checks must see the drivers as the previous bind left them.
 */
final class VfioDeviceProvider implements DeviceProvider {
    static final String NAME = "vfio-pci";
    private static final System.Logger LOG = System.getLogger(VfioDeviceProvider.class.getName());
    /** The shape of a VM id this provider will write to its file (VM ids are UUIDs; names are accepted too). */
    private static final Pattern VM_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private final SysfsPciScanner scanner;
    private final MdevTypes mdevTypes;
    private final HostSupport support;
    private final VfioBinder binder;
    private final GpuRequestResolver resolver;
    private final ReservationStore store;
    private final Map<String, List<ReservedDevice>> reservations;
    /** Why the reservation file cannot be used, or null; while set, nothing is reserved or released. */
    private final String storeProblem;

    VfioDeviceProvider(Sysfs sysfs, ReservationStore store, Duration probeWait, Supplier<UUID> uuids) {
        IommuGroups groups = new IommuGroups(sysfs);
        this.scanner = new SysfsPciScanner(sysfs);
        this.mdevTypes = new MdevTypes(sysfs);
        this.support = new HostSupport(sysfs, groups);
        this.binder = new VfioBinder(sysfs, probeWait);
        this.resolver = new GpuRequestResolver(scanner, groups, mdevTypes, support, uuids);
        this.store = store;
        Map<String, List<ReservedDevice>> loaded = new LinkedHashMap<>();
        String problem = null;
        try {
            loaded = store.load();
        } catch (ReservationStore.UnreadableException e) {
            problem = e.getMessage();
            LOG.log(Level.ERROR, problem, e);
        }
        this.reservations = loaded;
        this.storeProblem = problem;
    }

    VfioDeviceProvider(GpuConfig config) {
        this(new Sysfs(config.sysfsRoot()), new ReservationStore(config.dataDir()), config.probeWait(), UUID::randomUUID);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public HostDeviceSupport support() {
        return support.probe(storeProblem);
    }

    /** Every PCI function of the host and every existing mediated device. */
    @Override
    public List<HostDevice> devices() {
        List<HostDevice> out = new ArrayList<>();
        List<PciFunction> functions = scanner.scan();
        for (PciFunction f : functions) out.add(f.toHostDevice());
        List<MdevType> types = mdevTypes.types();
        for (MdevTypes.MdevInstance m : mdevTypes.instances()) {
            try {
                MdevType type = types.stream().filter(t -> t.parent().equals(m.parent()) && t.id().equals(m.type())).findFirst().orElse(null);
                Optional<PciFunction> parent = functions.stream().filter(f -> f.address().equals(m.parent())).findFirst();
                out.add(mdevTypes.toHostDevice(m.uuid(), m.parent(), type, m.iommuGroup(), parent));
            } catch (InvalidArgumentException e) {
                LOG.log(Level.WARNING, "mediated device " + m.uuid() + " cannot be described (" + e.getMessage() + "); not listed");
            }
        }
        return out;
    }

    /** The mediated device types the host offers now, with the instances each parent can still create. */
    List<MdevType> mdevTypes() {
        return mdevTypes.types();
    }

    @Override
    public synchronized List<HostDevice> reserve(String vmId, List<GpuRequest> requests) {
        checkVmId(vmId);
        usableStore();
        if (requests == null || requests.isEmpty()) return List.of();
        for (int i = 0; i < requests.size(); i++)
            if (requests.get(i) == null) throw new InvalidArgumentException("gpus[" + i + "]", "is required");
        List<ReservedDevice> held = reservations.get(vmId);
        if (held != null)
            throw new ConflictException("VM " + vmId + " already holds devices (" + keys(held) + "); release them before reserving again");

        Plan plan = resolver.resolve(requests, reservations);
        List<ReservedDevice> devices = new ArrayList<>();
        for (PciFunction f : plan.attach())
            devices.add(new ReservedDevice(f.toHostDevice(HostSupport.VFIO_PCI), true, !f.boundTo(HostSupport.VFIO_PCI),
                f.driver(), f.driverOverride()));
        for (PciFunction f : plan.hold())
            devices.add(new ReservedDevice(f.toHostDevice(), false, false, f.driver(), f.driverOverride()));
        for (MdevCreation m : plan.mdevs())
            devices.add(ReservedDevice.mdev(mdevTypes.toHostDevice(m.uuid(), m.type().parent(), m.type(), -1,
                scanner.function(m.type().parent()))));

        // The record first: should the node die while binding, the file says what it took from whom.
        reservations.put(vmId, List.copyOf(devices));
        try {
            store.save(reservations);
        } catch (IOException e) {
            reservations.remove(vmId);
            throw new BackendFailureException("cannot write the GPU reservation file " + store.path() + ": " + e.getMessage(), e);
        }
        List<VfioBinder.Binding> bound = List.of();
        List<String> created = new ArrayList<>();
        try {
            bound = binder.bindAll(plan.attach());
            for (MdevCreation m : plan.mdevs()) {
                mdevTypes.create(m.type().parent(), m.type().id(), m.uuid());
                created.add(m.uuid());
            }
        } catch (IOException | RuntimeException e) {
            undo(bound, created, e);
            forget(vmId, e);
            throw new BackendFailureException("preparing devices for VM " + vmId + " failed and was rolled back: " + e.getMessage(), e);
        }
        LOG.log(Level.INFO, "VM " + vmId + " reserved " + keys(devices));
        return devices.stream().filter(ReservedDevice::attach).map(ReservedDevice::device).toList();
    }

    /**
     * Gives the VM's devices back to the host and forgets the reservation. A device that cannot be given
     * back is logged and still released: it is then on vfio-pci or without a driver, where it harms nobody,
     * and keeping it reserved for a deleted VM would lose it for good.
     */
    @Override
    public synchronized void release(String vmId) {
        checkVmId(vmId);
        usableStore();
        List<ReservedDevice> held = reservations.get(vmId);
        if (held == null) return;
        for (ReservedDevice d : held) {
            if (d.isPci()) continue;
            try {
                mdevTypes.remove(d.device().mdevUuid());
            } catch (IOException | RuntimeException e) {
                LOG.log(Level.ERROR, "VM " + vmId + ": mediated device " + d.device().mdevUuid() + " could not be removed: " + e.getMessage());
            }
        }
        for (int i = held.size() - 1; i >= 0; i--) {
            ReservedDevice d = held.get(i);
            if (!d.isPci() || !d.rebound()) continue;
            try {
                binder.restore(d.binding());
            } catch (IOException | RuntimeException e) {
                LOG.log(Level.ERROR, "VM " + vmId + ": " + d.device().address() + " could not be given back to "
                    + d.originalDriver() + ": " + e.getMessage());
            }
        }
        reservations.remove(vmId);
        try {
            store.save(reservations);
        } catch (IOException e) {
            // Keep the reservation so a retry finds it; restoring again is harmless.
            reservations.put(vmId, held);
            throw new BackendFailureException("cannot write the GPU reservation file " + store.path() + ": " + e.getMessage(), e);
        }
        LOG.log(Level.INFO, "VM " + vmId + " released " + keys(held));
    }

    /** Every device each VM holds, including group members it holds without being given them. */
    @Override
    public synchronized Map<String, List<HostDevice>> reservations() {
        Map<String, List<HostDevice>> out = new LinkedHashMap<>();
        reservations.forEach((vm, devices) -> out.put(vm, devices.stream().map(ReservedDevice::device).toList()));
        return out;
    }

    /**
     * After a node or host restart: puts reserved functions back on vfio-pci and re-creates reserved mediated
     * devices that the host lost (sysfs state does not survive a reboot), so the VMs that hold them can start.
     * Problems are logged; they do not stop the provider.
     */
    synchronized void repairAfterRestart() {
        if (storeProblem != null || reservations.isEmpty()) return;
        Optional<String> pciProblem = support.passthroughProblem();
        Optional<String> mdevProblem = support.mediatedProblem();
        for (Map.Entry<String, List<ReservedDevice>> e : reservations.entrySet()) {
            for (ReservedDevice d : e.getValue()) {
                try {
                    if (d.isPci() && d.rebound()) {
                        if (pciProblem.isPresent())
                            LOG.log(Level.ERROR, "VM " + e.getKey() + ": reserved " + d.key() + " cannot be put back on vfio-pci: " + pciProblem.get());
                        else rebind(e.getKey(), d);
                    } else if (!d.isPci() && !mdevTypes.exists(d.device().mdevUuid())) {
                        if (mdevProblem.isPresent())
                            LOG.log(Level.ERROR, "VM " + e.getKey() + ": reserved mediated device " + d.key() + " cannot be re-created: " + mdevProblem.get());
                        else {
                            mdevTypes.create(d.device().address(), d.device().mdevType(), d.device().mdevUuid());
                            LOG.log(Level.INFO, "VM " + e.getKey() + ": re-created mediated device " + d.key());
                        }
                    }
                } catch (IOException | RuntimeException ex) {
                    LOG.log(Level.ERROR, "VM " + e.getKey() + ": cannot restore reserved device " + d.key() + ": " + ex.getMessage());
                }
            }
        }
    }

    private void rebind(String vmId, ReservedDevice d) throws IOException {
        Optional<PciFunction> f = scanner.function(d.device().address());
        if (f.isEmpty()) {
            LOG.log(Level.ERROR, "VM " + vmId + ": reserved PCI function " + d.device().address() + " is not on this host any more");
            return;
        }
        if (f.get().boundTo(HostSupport.VFIO_PCI)) return;
        if (f.get().driver() != null && !f.get().boundTo(String.valueOf(d.originalDriver()))) {
            LOG.log(Level.ERROR, "VM " + vmId + ": reserved " + f.get().label() + " is bound to " + f.get().driver()
                + ", not to its original " + d.originalDriver() + "; left alone");
            return;
        }
        binder.bindAll(List.of(f.get()));
        LOG.log(Level.INFO, "VM " + vmId + ": " + d.device().address() + " is back on vfio-pci");
    }

    private void undo(List<VfioBinder.Binding> bound, List<String> created, Exception cause) {
        for (int i = created.size() - 1; i >= 0; i--) {
            try {
                mdevTypes.remove(created.get(i));
            } catch (IOException | RuntimeException e) {
                cause.addSuppressed(e);
            }
        }
        for (int i = bound.size() - 1; i >= 0; i--) {
            try {
                binder.restore(bound.get(i));
            } catch (IOException | RuntimeException e) {
                cause.addSuppressed(e);
            }
        }
    }

    private void forget(String vmId, Exception cause) {
        reservations.remove(vmId);
        try {
            store.save(reservations);
        } catch (IOException e) {
            cause.addSuppressed(e);
            LOG.log(Level.ERROR, "VM " + vmId + ": the failed reservation could not be removed from " + store.path()
                + " (" + e.getMessage() + "); the file will claim its devices until the VM is released");
        }
    }

    private void usableStore() {
        if (storeProblem != null) throw new BackendUnavailableException(storeProblem);
    }

    private static void checkVmId(String vmId) {
        if (vmId == null) throw new InvalidArgumentException("vmId", "is required");
        if (!VM_ID.matcher(vmId).matches())
            throw new InvalidArgumentException("vmId", "must be 1 to 64 ASCII letters, digits, '.', '_' or '-', starting with a letter or digit");
    }

    private static String keys(List<ReservedDevice> devices) {
        return String.join(", ", devices.stream().map(d -> d.key() + (d.attach() ? "" : " (held)")).toList());
    }
}
