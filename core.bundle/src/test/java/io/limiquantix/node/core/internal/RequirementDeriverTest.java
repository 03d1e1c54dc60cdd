package io.limiquantix.node.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.limiquantix.node.api.BootSource;
import io.limiquantix.node.api.DiskSpec;
import io.limiquantix.node.api.Feature;
import io.limiquantix.node.api.Firmware;
import io.limiquantix.node.api.GpuRequest;
import io.limiquantix.node.api.GraphicsSpec;
import io.limiquantix.node.api.GuestOs;
import io.limiquantix.node.api.InvalidArgumentException;
import io.limiquantix.node.api.MemorySpec;
import io.limiquantix.node.api.NicSpec;
import io.limiquantix.node.api.OsFamily;
import io.limiquantix.node.api.PlacementHints;
import io.limiquantix.node.api.UsbRequest;
import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.api.storage.DiskSource;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RequirementDeriverTest {
    private final TestVolumeProvider ceph = new TestVolumeProvider("ceph", Feature.RBD_DISK);
    private final RequirementDeriver deriver =
        new RequirementDeriver(name -> name.equals("ceph") ? Optional.of(ceph) : Optional.empty());

    @Test
    void minimalLinuxVm() {
        VmSpec spec = VmSpec.builder("a").serialConsole(false).build();
        assertEquals(EnumSet.of(Feature.LINUX_GUEST, Feature.BIOS_FIRMWARE, Feature.DISK_BOOT), deriver.derive(spec));
    }

    @Test
    void everyDeviceMapsToItsFeature() {
        VmSpec spec = VmSpec.builder("full")
            .os(GuestOs.windows("win2k22"))
            .firmware(Firmware.UEFI_SECURE_BOOT)
            .memory(new MemorySpec(2048, true))
            .kernelBoot("/var/lib/limiquantix/images/vmlinuz", null, null)
            .disk(new DiskSpec("sys", DiskSource.file("/var/lib/limiquantix/images/a.qcow2", DiskSource.Format.QCOW2),
                DiskSpec.Bus.SATA, null, false, 0))
            .disk(new DiskSpec("data", DiskSource.volume("ceph", "pool/data"), DiskSpec.Bus.SCSI, null, false, 0))
            .disk(new DiskSpec("net", DiskSource.network("rbd", "pool/x", List.of("mon1:6789"), null, null),
                DiskSpec.Bus.VIRTIO, null, false, 0))
            .nic(NicSpec.network("default"))
            .nic(new NicSpec(null, "br0", null, null))
            .graphics(new GraphicsSpec(GraphicsSpec.Type.SPICE, null))
            .gpu(new GpuRequest("0000:01:00.0", null, null, 1))
            .gpu(new GpuRequest(null, null, "nvidia-63", 1))
            .usb(new UsbRequest("046d:c52b", 0, 0))
            .nestedVirtualization(true)
            .placement(new PlacementHints(null, false, true))
            .build();
        Set<Feature> need = deriver.derive(spec);
        assertEquals(EnumSet.of(Feature.WINDOWS_GUEST, Feature.UEFI_FIRMWARE, Feature.SECURE_BOOT, Feature.HUGE_PAGES,
            Feature.DIRECT_KERNEL_BOOT, Feature.SATA_DISK, Feature.FILE_DISK, Feature.SCSI_DISK, Feature.RBD_DISK,
            Feature.VIRTIO_DISK, Feature.VIRTUAL_NETWORK, Feature.BRIDGE_NETWORK, Feature.SPICE_CONSOLE,
            Feature.SERIAL_CONSOLE, Feature.GPU_PASSTHROUGH, Feature.MEDIATED_DEVICE, Feature.USB_PASSTHROUGH,
            Feature.NESTED_VIRTUALIZATION, Feature.LIVE_MIGRATION), need);
    }

    @Test
    void bootKindsAndOtherGuests() {
        VmSpec cd = VmSpec.builder("cd").os(new GuestOs(OsFamily.OTHER, null)).boot(new BootSource(BootSource.Kind.CDROM, null, null, null))
            .disk(new DiskSpec("iso", DiskSource.file("/var/lib/limiquantix/images/x.iso", null), DiskSpec.Bus.SATA,
                DiskSpec.Device.CDROM, true, 1)).build();
        assertTrue(deriver.derive(cd).containsAll(EnumSet.of(Feature.OTHER_GUEST, Feature.CDROM_BOOT, Feature.SATA_DISK)));
        VmSpec pxe = VmSpec.builder("pxe").boot(new BootSource(BootSource.Kind.NETWORK, null, null, null))
            .graphics(GraphicsSpec.vnc()).build();
        assertTrue(deriver.derive(pxe).containsAll(EnumSet.of(Feature.NETWORK_BOOT, Feature.VNC_CONSOLE)));
    }

    @Test
    void unknownVolumeProviderNamesTheField() {
        VmSpec spec = VmSpec.builder("v")
            .fileDisk("a", "/var/lib/limiquantix/images/a.raw", null)
            .disk(new DiskSpec("b", DiskSource.volume("nfs", "vol1"), null, null, false, 0)).build();
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> deriver.derive(spec));
        assertEquals("disks[1].source.provider", e.field());
    }

    @Test
    void networkProtocolWithoutFeatureIsRefused() {
        VmSpec spec = VmSpec.builder("n")
            .disk(new DiskSpec("b", DiskSource.network("nbd", "x", List.of("h:1"), null, null), null, null, false, 0)).build();
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> deriver.derive(spec));
        assertEquals("disks[0].source.protocol", e.field());
    }
}
