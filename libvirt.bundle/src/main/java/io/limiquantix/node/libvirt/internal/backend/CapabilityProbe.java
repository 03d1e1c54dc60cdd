package io.limiquantix.node.libvirt.internal.backend;

import io.limiquantix.node.api.Accelerator;
import io.limiquantix.node.api.Feature;
import io.limiquantix.node.api.HypervisorCapabilities;
import io.limiquantix.node.libvirt.internal.domain.HostCpuVendor;
import io.limiquantix.node.libvirt.internal.domain.XmlDoc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Set;
import org.libvirt.Connect;
import org.libvirt.LibvirtException;
import org.libvirt.NodeInfo;

/**
 * Works out what this backend can offer on its host, from libvirt's capabilities XML and node info plus,
 * for local URIs, the files QEMU needs at run time (OVMF images, swtpm, the rbd block driver). The
 * feature set only claims what this bundle's code actually emits: libvirt could do more.
 *
 * <p>libvirt-java 0.5.4 does not expose {@code virConnectGetDomainCapabilities}, so firmware and TPM
 * support are judged from the files libvirt's own firmware autoselection and TPM emulator use.
 */
final class CapabilityProbe {
    static final String TYPE = "libvirt";

    /**
     * Files that must exist on the host for a feature; only consulted for local connections. {@code sysfs}
     * and {@code vfioContainer} decide device passthrough and nesting ({@link PassthroughProbe}).
     */
    record HostFiles(Path ovmf, Path ovmfSecureBoot, Path swtpm, Path rbdDriver, Path spice, Path sysfs, Path vfioContainer,
        Path devKvm) {
        static HostFiles debian() {
            return new HostFiles(Path.of("/usr/share/OVMF/OVMF_CODE_4M.fd"), Path.of("/usr/share/OVMF/OVMF_CODE_4M.secboot.fd"),
                Path.of("/usr/bin/swtpm"), Path.of("/usr/lib/x86_64-linux-gnu/qemu/block-rbd.so"),
                Path.of("/usr/lib/x86_64-linux-gnu/libspice-server.so.1"), Path.of("/sys"), Path.of("/dev/vfio/vfio"),
                Path.of("/dev/kvm"));
        }
    }

    private CapabilityProbe() {}

    /** Whether libvirt's capabilities offer x86_64 hvm guests of this domain type (kvm, qemu). */
    static boolean offers(Connect c, String domainType) throws LibvirtException {
        return offers(XmlDoc.parse(c.getCapabilities()), domainType);
    }

    private static boolean offers(XmlDoc caps, String domainType) {
        return caps.exists("/capabilities/guest[os_type='hvm']/arch[@name='x86_64']/domain[@type='" + domainType + "']");
    }

    static HypervisorCapabilities probe(Connect c, boolean testDriver, boolean local, AccelDecision accel, HostFiles files)
        throws LibvirtException {
        XmlDoc caps = XmlDoc.parse(c.getCapabilities());
        NodeInfo node = c.nodeInfo();
        long memoryMiB = node.memory / 1024;
        String libvirtVersion = dotted(c.getLibVersion());
        if (testDriver)
            return new HypervisorCapabilities(TYPE, "libvirt " + libvirtVersion + " test driver (runs no guest code)",
                Accelerator.NONE, testFeatures(), maxVcpus(c, "test", node), memoryMiB, true, null);
        String version = "libvirt " + libvirtVersion + ", " + c.getType() + " " + dotted(c.getVersion()) + "; " + accel.reason();
        if (!accel.usable()) return HypervisorCapabilities.notCapable(TYPE, accel.reason());
        String domainType = accel.accelerator() == Accelerator.KVM ? "kvm" : "qemu";
        if (!offers(caps, domainType))
            return HypervisorCapabilities.notCapable(TYPE, "libvirt at " + c.getURI() + " offers no x86_64 hvm guests of type "
                + domainType + " (is qemu-system-x86 installed on that host?)");
        return new HypervisorCapabilities(TYPE, version, accel.accelerator(), qemuFeatures(local, accel.accelerator(), files),
            maxVcpus(c, domainType, node), memoryMiB, true, null);
    }

    /** What libvirt's test driver accepts from this bundle: definitions, lifecycle, internal snapshots. */
    static Set<Feature> testFeatures() {
        return EnumSet.of(Feature.LINUX_GUEST, Feature.WINDOWS_GUEST, Feature.OTHER_GUEST, Feature.BIOS_FIRMWARE,
            Feature.DIRECT_KERNEL_BOOT, Feature.DISK_BOOT, Feature.CDROM_BOOT, Feature.NETWORK_BOOT,
            Feature.FILE_DISK, Feature.VIRTIO_DISK, Feature.SATA_DISK, Feature.SCSI_DISK,
            Feature.VIRTUAL_NETWORK, Feature.BRIDGE_NETWORK, Feature.VNC_CONSOLE, Feature.SPICE_CONSOLE,
            Feature.SERIAL_CONSOLE, Feature.PAUSE, Feature.REBOOT, Feature.SNAPSHOT_INTERNAL);
    }

    static Set<Feature> qemuFeatures(boolean local, Accelerator accelerator, HostFiles files) {
        Set<Feature> f = EnumSet.of(Feature.LINUX_GUEST, Feature.WINDOWS_GUEST, Feature.OTHER_GUEST, Feature.BIOS_FIRMWARE,
            Feature.DIRECT_KERNEL_BOOT, Feature.DISK_BOOT, Feature.CDROM_BOOT, Feature.NETWORK_BOOT,
            Feature.FILE_DISK, Feature.VIRTIO_DISK, Feature.SATA_DISK, Feature.SCSI_DISK, Feature.DISK_HOTPLUG,
            Feature.VIRTUAL_NETWORK, Feature.BRIDGE_NETWORK, Feature.VNC_CONSOLE, Feature.SERIAL_CONSOLE,
            Feature.PAUSE, Feature.REBOOT, Feature.SNAPSHOT_INTERNAL, Feature.SNAPSHOT_EXTERNAL, Feature.SNAPSHOT_MEMORY,
            Feature.LIVE_MIGRATION, Feature.OFFLINE_MIGRATION, Feature.STORAGE_MIGRATION);
        // For a remote URI this node cannot see the host's files: claim only what needs nothing extra.
        if (!local) return f;
        if (Files.exists(files.ovmf())) f.add(Feature.UEFI_FIRMWARE);
        // Secure Boot firmware runs in SMM: under KVM only when KVM emulates it (nested KVM may not; KvmSmm).
        if (Files.exists(files.ovmfSecureBoot()) && (accelerator != Accelerator.KVM || KvmSmm.supported(files.devKvm())))
            f.add(Feature.SECURE_BOOT);
        if (Files.isExecutable(files.swtpm())) f.add(Feature.TPM);
        if (Files.exists(files.rbdDriver())) f.add(Feature.RBD_DISK);
        if (Files.exists(files.spice())) f.add(Feature.SPICE_CONSOLE);
        // USB ids and bus numbers name devices of the node's own host, which only a local libvirtd can open.
        f.add(Feature.USB_PASSTHROUGH);
        PassthroughProbe host = new PassthroughProbe(files.sysfs(), files.vfioContainer());
        if (host.pciPassthrough()) f.add(Feature.GPU_PASSTHROUGH);
        if (host.mediatedDevices()) f.add(Feature.MEDIATED_DEVICE);
        // TCG cannot run a nested hypervisor usefully (see NestedCpu); KVM must also have nesting switched on.
        if (accelerator == Accelerator.KVM && host.nestedKvm()) f.add(Feature.NESTED_VIRTUALIZATION);
        return f;
    }

    /** The host CPU's vendor from libvirt's capabilities: it names the flag nested guests need. */
    static HostCpuVendor cpuVendor(Connect c) throws LibvirtException {
        return HostCpuVendor.of(XmlDoc.parse(c.getCapabilities()).string("/capabilities/host/cpu/vendor"));
    }

    private static int maxVcpus(Connect c, String type, NodeInfo node) {
        try {
            int n = c.getMaxVcpus(type);
            if (n > 0) return n;
        } catch (LibvirtException e) {
            // Some drivers do not answer; the host's CPU count is a safe lower bound.
        }
        return Math.max(1, node.cpus);
    }

    static String dotted(long v) {
        return v / 1_000_000 + "." + v / 1000 % 1000 + "." + v % 1000;
    }
}
