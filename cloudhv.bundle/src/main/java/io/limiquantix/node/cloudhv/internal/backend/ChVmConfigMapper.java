package io.limiquantix.node.cloudhv.internal.backend;

import io.limiquantix.node.api.BootSource;
import io.limiquantix.node.api.CpuSpec;
import io.limiquantix.node.api.DiskSpec;
import io.limiquantix.node.api.Feature;
import io.limiquantix.node.api.Firmware;
import io.limiquantix.node.api.GraphicsSpec;
import io.limiquantix.node.api.InvalidArgumentException;
import io.limiquantix.node.api.NicSpec;
import io.limiquantix.node.api.OsFamily;
import io.limiquantix.node.api.UnsupportedFeatureException;
import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.api.storage.DiskSource;
import io.limiquantix.node.cloudhv.internal.chapi.ChTypes;
import io.limiquantix.node.cloudhv.internal.chapi.ChTypes.CpuTopology;
import io.limiquantix.node.cloudhv.internal.chapi.ChTypes.DiskConfig;
import io.limiquantix.node.cloudhv.internal.chapi.ChTypes.NetConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a {@link VmSpec} into Cloud Hypervisor's {@code VmConfig}, or refuses it with the feature it lacks.
 * The refusals match the capabilities this backend advertises ({@link CapabilityProbe#FEATURES}), so a VM
 * placement sends here never fails here; they still matter for pinned VMs and direct callers. One exception:
 * a NIC model other than virtio has no {@code Feature}, so placement cannot see that refusal coming.
 *
 * <p>What CH cannot do, or what this backend does not do with it: Windows and other non-Linux guests (no
 * supported firmware/driver path), USB (CH has no USB controller), GPUs and host devices (possible with vfio,
 * out of scope), VNC/SPICE (CH has no graphical console), network/volume disk sources, CD-ROM and network
 * boot, SATA/SCSI buses (virtio-blk only), NICs on virtual networks or of another model than virtio, nested
 * virtualization (disabled explicitly: CH turns it on by default), BIOS firmware and Secure Boot. A NIC on a
 * bridge becomes a virtio-net device on the tap {@link VmNics} names (the tap itself is made elsewhere).
 */
public final class ChVmConfigMapper {
    /** Linux's IFNAMSIZ less the terminating NUL. */
    static final int MAX_IFNAME = 15;
    /** Where UEFI firmware is looked for; DISK boot needs it. */
    private final Path firmware;

    public ChVmConfigMapper(Path firmware) {
        this.firmware = firmware;
    }

    public ChTypes.VmConfig map(VmSpec spec, Path serialLog) {
        refuseUnsupported(spec);
        List<DiskConfig> disks = new ArrayList<>();
        for (DiskSpec d : spec.disks()) disks.add(disk(d));
        List<NetConfig> net = new ArrayList<>();
        for (int i = 0; i < spec.nics().size(); i++)
            net.add(new NetConfig(VmNics.tapName(spec.id(), i), VmNics.mac(spec.id(), i, spec.nics().get(i))));
        return new ChTypes.VmConfig(cpus(spec.cpu()), memory(spec), payload(spec), disks.isEmpty() ? null : disks,
            net.isEmpty() ? null : net,
            spec.serialConsole() ? new ChTypes.SerialConfig("File", serialLog.toString()) : new ChTypes.SerialConfig("Null", null),
            new ChTypes.ConsoleConfig("Off", null));
    }

    public DiskConfig disk(DiskSpec d) {
        if (d.source().kind() != DiskSource.Kind.FILE && d.source().kind() != DiskSource.Kind.BLOCK)
            throw refuse(Feature.RBD_DISK, "disk " + d.name() + ": only local file and block device disks are supported (was "
                + d.source().kind() + ")");
        if (d.bus() != DiskSpec.Bus.VIRTIO)
            throw refuse(d.bus() == DiskSpec.Bus.SATA ? Feature.SATA_DISK : Feature.SCSI_DISK,
                "disk " + d.name() + ": Cloud Hypervisor only has virtio-blk disks (was " + d.bus() + ")");
        if (d.device() == DiskSpec.Device.CDROM)
            throw refuse(Feature.CDROM_BOOT, "disk " + d.name() + ": Cloud Hypervisor has no CD-ROM device");
        String imageType = d.source().format() == DiskSource.Format.QCOW2 ? "Qcow2" : "Raw";
        return new DiskConfig(d.source().path(), d.readOnly(), d.name(), imageType);
    }

    private static ChTypes.CpusConfig cpus(CpuSpec cpu) {
        CpuTopology topology = cpu.sockets() == 0 ? null
            : new CpuTopology(cpu.threads(), cpu.cores(), 1, cpu.sockets());
        return new ChTypes.CpusConfig(cpu.vcpus(), cpu.vcpus(), topology, false);
    }

    private static ChTypes.MemoryConfig memory(VmSpec spec) {
        return new ChTypes.MemoryConfig(spec.memory().sizeMiB() * 1024 * 1024, spec.memory().hugePages() ? Boolean.TRUE : null);
    }

    private ChTypes.PayloadConfig payload(VmSpec spec) {
        BootSource boot = spec.boot();
        return switch (boot.kind()) {
            case KERNEL -> new ChTypes.PayloadConfig(null, boot.kernel(), boot.cmdline(), boot.initrd());
            case DISK -> new ChTypes.PayloadConfig(firmware.toString(), null, null, null);
            case CDROM -> throw refuse(Feature.CDROM_BOOT, "Cloud Hypervisor cannot boot from a CD-ROM");
            case NETWORK -> throw refuse(Feature.NETWORK_BOOT, "Cloud Hypervisor cannot boot from the network");
        };
    }

    private void refuseUnsupported(VmSpec spec) {
        if (spec.os().family() == OsFamily.WINDOWS)
            throw refuse(Feature.WINDOWS_GUEST, "the Cloud Hypervisor backend runs Linux guests only, not Windows");
        if (spec.os().family() != OsFamily.LINUX)
            throw refuse(Feature.OTHER_GUEST, "the Cloud Hypervisor backend runs Linux guests only");
        if (!spec.usb().isEmpty()) throw refuse(Feature.USB_PASSTHROUGH, "Cloud Hypervisor has no USB controller");
        if (!spec.gpus().isEmpty() || !spec.hostDevices().isEmpty())
            throw refuse(Feature.GPU_PASSTHROUGH, "GPU and host device passthrough are not supported by this backend");
        if (spec.graphics().type() == GraphicsSpec.Type.VNC)
            throw refuse(Feature.VNC_CONSOLE, "Cloud Hypervisor has no graphical console");
        if (spec.graphics().type() == GraphicsSpec.Type.SPICE)
            throw refuse(Feature.SPICE_CONSOLE, "Cloud Hypervisor has no graphical console");
        if (spec.nestedVirtualization())
            throw refuse(Feature.NESTED_VIRTUALIZATION, "this backend does not offer nested virtualization");
        for (int i = 0; i < spec.nics().size(); i++) refuseUnsupported(spec, i);
        if (spec.firmware() == Firmware.BIOS && spec.boot().kind() != BootSource.Kind.KERNEL)
            throw refuse(Feature.BIOS_FIRMWARE, "Cloud Hypervisor has no BIOS: boot a kernel directly or use UEFI firmware");
        if (spec.firmware() == Firmware.UEFI_SECURE_BOOT)
            throw refuse(Feature.SECURE_BOOT, "Secure Boot is not supported by this backend");
        if (spec.boot().kind() == BootSource.Kind.DISK && firmware == null)
            throw refuse(Feature.DISK_BOOT, "booting from a disk needs Cloud Hypervisor's UEFI firmware, which is not installed");
    }

    /**
     * A NIC is a tap on a host bridge. Virtual networks are libvirt's (CH has nothing like them); CH's only NIC
     * is virtio-net, and silently giving a guest another device than it asked for is worse than refusing.
     */
    private static void refuseUnsupported(VmSpec spec, int i) {
        NicSpec nic = spec.nics().get(i);
        if (nic.network() != null)
            throw refuse(Feature.VIRTUAL_NETWORK, "nics[" + i + "].network: virtual networks ('" + nic.network()
                + "') are a libvirt feature; the Cloud Hypervisor backend connects NICs to a host bridge (set nics[" + i + "].bridge)");
        if (nic.model() != NicSpec.Model.VIRTIO)
            throw refuse(null, "nics[" + i + "].model: Cloud Hypervisor only has virtio-net NICs (was " + nic.model() + ")");
        if (nic.bridge().length() > MAX_IFNAME)
            throw new InvalidArgumentException("nics[" + i + "].bridge", "a Linux interface name has at most " + MAX_IFNAME
                + " characters (was '" + nic.bridge() + "')");
        if (spec.id() == null) throw new InvalidArgumentException("id", "is required for a VM with NICs (tap names derive from it)");
    }

    private static UnsupportedFeatureException refuse(Feature f, String message) {
        return new UnsupportedFeatureException(f, message);
    }
}
