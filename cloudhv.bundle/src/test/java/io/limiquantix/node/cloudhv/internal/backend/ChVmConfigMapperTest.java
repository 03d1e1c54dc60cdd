package io.limiquantix.node.cloudhv.internal.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.limiquantix.node.api.CpuSpec;
import io.limiquantix.node.api.DiskSpec;
import io.limiquantix.node.api.Feature;
import io.limiquantix.node.api.Firmware;
import io.limiquantix.node.api.GpuRequest;
import io.limiquantix.node.api.GraphicsSpec;
import io.limiquantix.node.api.GuestOs;
import io.limiquantix.node.api.MemorySpec;
import io.limiquantix.node.api.NicSpec;
import io.limiquantix.node.api.UnsupportedFeatureException;
import io.limiquantix.node.api.UsbRequest;
import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.api.storage.DiskSource;
import io.limiquantix.node.cloudhv.internal.chapi.ChTypes;
import java.nio.file.Path;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class ChVmConfigMapperTest {
    private static final Path SERIAL = Path.of("/var/lib/limiquantix/cloudhv/x/serial.log");
    private final ChVmConfigMapper mapper = new ChVmConfigMapper(null);

    private static VmSpec.Builder linux() {
        return VmSpec.builder("vm1").vcpus(2).memoryMiB(512).kernelBoot("/boot/vmlinuz", "/boot/initrd", "console=ttyS0");
    }

    @Test
    void aLinuxKernelBootVmMapsToPayloadCpusMemoryDisksAndSerialFile() {
        VmSpec spec = linux().cpu(new CpuSpec(4, 1, 2, 2, CpuSpec.Mode.DEFAULT, null)).memory(new MemorySpec(2048, true))
            .fileDisk("root", "/var/lib/limiquantix/root.qcow2", DiskSource.Format.QCOW2).build();
        ChTypes.VmConfig c = mapper.map(spec, SERIAL);
        assertEquals(new ChTypes.PayloadConfig(null, "/boot/vmlinuz", "console=ttyS0", "/boot/initrd"), c.payload());
        assertEquals(4, c.cpus().bootVcpus());
        assertEquals(4, c.cpus().maxVcpus());
        assertFalse(c.cpus().nested());
        assertEquals(new ChTypes.CpuTopology(2, 2, 1, 1), c.cpus().topology());
        assertEquals(2048L << 20, c.memory().size());
        assertEquals(Boolean.TRUE, c.memory().hugepages());
        assertEquals(List.of(new ChTypes.DiskConfig("/var/lib/limiquantix/root.qcow2", false, "root", "Qcow2")), c.disks());
        assertEquals(new ChTypes.SerialConfig("File", SERIAL.toString()), c.serial());
        assertEquals("Off", c.console().mode());
    }

    @Test
    void withoutASerialConsoleTheSerialPortGoesNowhere() {
        ChTypes.VmConfig c = mapper.map(linux().serialConsole(false).build(), SERIAL);
        assertEquals("Null", c.serial().mode());
        assertNull(c.cpus().topology());
        assertNull(c.disks());
    }

    @Test
    void diskBootUsesTheUefiFirmwareWhenItIsInstalled() {
        ChVmConfigMapper withFirmware = new ChVmConfigMapper(Path.of("/usr/share/cloud-hypervisor/CLOUDHV.fd"));
        VmSpec spec = VmSpec.builder("vm1").firmware(Firmware.UEFI).fileDisk("root", "/var/lib/limiquantix/root.img", DiskSource.Format.RAW).build();
        assertEquals("/usr/share/cloud-hypervisor/CLOUDHV.fd", withFirmware.map(spec, SERIAL).payload().firmware());
        assertRefused(Feature.DISK_BOOT, () -> mapper.map(spec, SERIAL));
    }

    @Test
    void whatCloudHypervisorCannotRunIsRefusedWithTheFeature() {
        refused(Feature.WINDOWS_GUEST, b -> b.os(GuestOs.windows("win2k22")));
        refused(Feature.USB_PASSTHROUGH, b -> b.usb(new UsbRequest("046d:c52b", 0, 0)));
        refused(Feature.GPU_PASSTHROUGH, b -> b.gpu(new GpuRequest("0000:01:00.0", null, null, 1)));
        refused(Feature.VNC_CONSOLE, b -> b.graphics(GraphicsSpec.vnc()));
        refused(Feature.SPICE_CONSOLE, b -> b.graphics(new GraphicsSpec(GraphicsSpec.Type.SPICE, null)));
        refused(Feature.NESTED_VIRTUALIZATION, b -> b.nestedVirtualization(true));
        refused(Feature.VIRTUAL_NETWORK, b -> b.nic(NicSpec.network("default")));
        refused(Feature.SECURE_BOOT, b -> b.firmware(Firmware.UEFI_SECURE_BOOT));
        refused(Feature.SATA_DISK, b -> b.disk(new DiskSpec("d", DiskSource.file("/var/lib/limiquantix/d.img", null), DiskSpec.Bus.SATA,
            DiskSpec.Device.DISK, false, 0)));
        refused(Feature.RBD_DISK, b -> b.disk(new DiskSpec("d", DiskSource.network("rbd", "pool/img", List.of("mon1:6789"), null, null),
            DiskSpec.Bus.VIRTIO, DiskSpec.Device.DISK, false, 0)));
    }

    /** Every refusal names a feature the backend does not advertise: placement never sends such a VM here. */
    @Test
    void refusedFeaturesAreNeverAdvertised() {
        for (Feature f : List.of(Feature.WINDOWS_GUEST, Feature.USB_PASSTHROUGH, Feature.GPU_PASSTHROUGH, Feature.VNC_CONSOLE,
            Feature.SPICE_CONSOLE, Feature.NESTED_VIRTUALIZATION, Feature.VIRTUAL_NETWORK, Feature.BRIDGE_NETWORK,
            Feature.SECURE_BOOT, Feature.SATA_DISK, Feature.RBD_DISK, Feature.CDROM_BOOT, Feature.LIVE_MIGRATION))
            assertFalse(CapabilityProbe.FEATURES.contains(f), f + " is refused by the mapper but advertised");
    }

    private void refused(Feature f, UnaryOperator<VmSpec.Builder> change) {
        VmSpec spec = change.apply(linux()).build();
        assertRefused(f, () -> mapper.map(spec, SERIAL));
    }

    private static void assertRefused(Feature f, Runnable r) {
        UnsupportedFeatureException e = assertThrows(UnsupportedFeatureException.class, r::run);
        assertEquals(f, e.feature(), e.getMessage());
    }
}
