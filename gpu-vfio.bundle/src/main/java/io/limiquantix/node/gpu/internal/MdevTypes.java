package io.limiquantix.node.gpu.internal;

import io.limiquantix.node.api.device.HostDevice;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Mediated devices (Documentation/driver-api/vfio-mediated-device.rst): the types each parent offers under
 * {@code class/mdev_bus/<parent>/mdev_supported_types/<type>/}, the instances under
 * {@code bus/mdev/devices/<uuid>}, and creating and removing instances by UUID.
 */
final class MdevTypes {
    private static final System.Logger LOG = System.getLogger(MdevTypes.class.getName());
    /** The only device API a VM can take as a PCI device ({@code <hostdev model='vfio-pci'>}). */
    static final String VFIO_PCI_API = "vfio-pci";

    /** One type on one parent, with the number of further instances the parent can create now. */
    record MdevType(String parent, String id, String name, int availableInstances, String deviceApi, String description) {
    }

    /** An existing mediated device. {@code type} is null when its {@code mdev_type} link cannot be read. */
    record MdevInstance(String uuid, String parent, String type, int iommuGroup) {
    }

    private final Sysfs sysfs;

    MdevTypes(Sysfs sysfs) {
        this.sysfs = sysfs;
    }

    List<String> parents() {
        return sysfs.list(sysfs.mdevParents());
    }

    /** Every type of every parent, parents and types in name order. */
    List<MdevType> types() {
        List<MdevType> types = new ArrayList<>();
        for (String parent : parents()) {
            Path dir = typesDir(parent);
            for (String id : sysfs.list(dir)) {
                if (!HostDeviceText.isName(id)) {
                    LOG.log(Level.WARNING, "mediated device type '" + id + "' of " + parent + " has a name this node cannot pass on; ignored");
                    continue;
                }
                Path t = dir.resolve(id);
                int available = sysfs.read(t.resolve("available_instances")).map(MdevTypes::integer).orElse(0);
                types.add(new MdevType(parent, id, sysfs.read(t.resolve("name")).orElse(id), Math.max(0, available),
                    sysfs.read(t.resolve("device_api")).orElse(null), sysfs.read(t.resolve("description")).orElse(null)));
            }
        }
        return types;
    }

    /** Existing mediated devices, in UUID order. */
    List<MdevInstance> instances() {
        List<MdevInstance> out = new ArrayList<>();
        for (String uuid : sysfs.list(sysfs.mdevDevices())) {
            Path dev = sysfs.mdevDevices().resolve(uuid);
            out.add(new MdevInstance(uuid, parentOf(dev).orElse(null), sysfs.linkName(dev.resolve("mdev_type")).orElse(null),
                sysfs.linkName(dev.resolve("iommu_group")).map(MdevTypes::integer).orElse(-1)));
        }
        return out;
    }

    Optional<MdevInstance> instance(String uuid) {
        return instances().stream().filter(i -> i.uuid().equals(uuid)).findFirst();
    }

    boolean exists(String uuid) {
        return sysfs.exists(sysfs.mdevDevices().resolve(uuid));
    }

    /**
     * Creates an instance: the kernel's interface is writing the new device's UUID into the type's
     * {@code create} attribute. Success is judged by the device appearing on the mdev bus, not by the write
     * alone.
     */
    void create(String parent, String type, String uuid) throws IOException {
        sysfs.write(typesDir(parent).resolve(type).resolve("create"), uuid);
        if (!exists(uuid))
            throw new IOException("mediated device " + uuid + " did not appear in " + sysfs.mdevDevices()
                + " after writing its UUID to the create attribute of type " + type + " on " + parent);
    }

    /** Removes an instance by writing "1" to its {@code remove} attribute; an absent instance is already removed. */
    void remove(String uuid) throws IOException {
        Path dev = sysfs.mdevDevices().resolve(uuid);
        if (!sysfs.exists(dev)) return;
        sysfs.write(dev.resolve("remove"), "1");
        if (exists(uuid))
            throw new IOException("mediated device " + uuid + " is still present after writing 1 to its remove attribute"
                + " (is a VM still using it?)");
    }

    /** As a host device; the parent's PCI identity fills the ids when the parent is a PCI function. */
    HostDevice toHostDevice(String uuid, String parent, MdevType type, int iommuGroup, Optional<PciFunction> parentPci) {
        String description = type == null ? null
            : HostDeviceText.description(type.name() + (type.description() == null ? "" : " - " + type.description()));
        return new HostDevice(HostDevice.Kind.MDEV, parent,
            parentPci.map(PciFunction::vendorId).orElse(null), parentPci.map(PciFunction::deviceId).orElse(null),
            parentPci.map(PciFunction::classCode).orElse(null),
            parentPci.map(p -> HostDeviceText.nameOrNull(p.driver())).orElse(null),
            iommuGroup, parentPci.map(PciFunction::numaNode).orElse(-1),
            type == null ? null : type.id(), uuid, description);
    }

    private Path typesDir(String parent) {
        return sysfs.mdevParents().resolve(parent).resolve("mdev_supported_types");
    }

    /** The device directory an mdev lives in is its parent's: {@code …/0000:02:00.0/<uuid>}. */
    private static Optional<String> parentOf(Path mdev) {
        try {
            Path real = mdev.toRealPath().getParent();
            return real == null || real.getFileName() == null ? Optional.empty() : Optional.of(real.getFileName().toString());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static int integer(String s) {
        try {
            return Integer.parseInt(s.strip());
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
