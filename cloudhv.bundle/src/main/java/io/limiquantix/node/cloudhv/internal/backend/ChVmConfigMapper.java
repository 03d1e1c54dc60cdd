package io.limiquantix.node.cloudhv.internal.backend;

import io.limiquantix.node.api.BootSource;
import io.limiquantix.node.api.CpuSpec;
import io.limiquantix.node.api.DiskSpec;
import io.limiquantix.node.api.Feature;
import io.limiquantix.node.api.Firmware;
import io.limiquantix.node.api.GraphicsSpec;
import io.limiquantix.node.api.OsFamily;
import io.limiquantix.node.api.UnsupportedFeatureException;
import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.api.storage.DiskSource;
import io.limiquantix.node.cloudhv.internal.chapi.ChTypes;
import io.limiquantix.node.cloudhv.internal.chapi.ChTypes.CpuTopology;
import io.limiquantix.node.cloudhv.internal.chapi.ChTypes.DiskConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a {@link VmSpec} into Cloud Hypervisor's {@code VmConfig}, or refuses it with the feature it lacks.
 * The refusals match the capabilities this backend advertises ({@link CapabilityProbe#FEATURES}), so a VM
 * placement sends here never fails here; they still matter for pinned VMs and direct callers.
 *
 * <p>What CH cannot do, or what this backend does not do with it: Windows and other non-Linux guests (no
 * supported firmware/driver path), USB (CH has no USB controller), GPUs and host devices (possible with vfio,
 * out of scope), VNC/SPICE (CH has no graphical console), network/volume disk sources, CD-ROM and network
 * boot, SATA/SCSI buses (virtio-blk only), NICs (tap/bridge wiring is not implemented yet), nested
 * virtualization (disabled explicitly: CH turns it on by default), BIOS firmware and Secure Boot.
 */
public final class ChVmConfigMapper {
    /** Where UEFI firmware is looked for; DISK boot needs it. */
    private final Path firmware;

    public ChVmConfigMapper(Path firmware) {
        this.firmware = firmware;
    }

    public ChTypes.VmConfig map(VmSpec spec, Path serialLog) {
        refuseUnsupported(spec);
        List<DiskConfig> disks = new ArrayList<>();
        for (DiskSpec d : spec.disks()) disks.add(disk(d));
        return new ChTypes.VmConfig(cpus(spec.cpu()), memory(spec), payload(spec), disks.isEmpty() ? null : disks,
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
        if (!spec.nics().isEmpty())
            throw refuse(spec.nics().get(0).bridge() != null ? Feature.BRIDGE_NETWORK : Feature.VIRTUAL_NETWORK,
                "network interfaces are not supported by this backend yet");
        if (spec.firmware() == Firmware.BIOS && spec.boot().kind() != BootSource.Kind.KERNEL)
            throw refuse(Feature.BIOS_FIRMWARE, "Cloud Hypervisor has no BIOS: boot a kernel directly or use UEFI firmware");
        if (spec.firmware() == Firmware.UEFI_SECURE_BOOT)
            throw refuse(Feature.SECURE_BOOT, "Secure Boot is not supported by this backend");
        if (spec.boot().kind() == BootSource.Kind.DISK && firmware == null)
            throw refuse(Feature.DISK_BOOT, "booting from a disk needs Cloud Hypervisor's UEFI firmware, which is not installed");
    }

    private static UnsupportedFeatureException refuse(Feature f, String message) {
        return new UnsupportedFeatureException(f, message);
    }
}
