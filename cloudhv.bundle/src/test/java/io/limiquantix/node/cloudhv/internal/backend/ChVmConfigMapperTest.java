package io.limiquantix.node.cloudhv.internal.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.limiquantix.node.api.CpuSpec;
import io.limiquantix.node.api.DiskSpec;
import io.limiquantix.node.api.Feature;
import io.limiquantix.node.api.Firmware;
import io.limiquantix.node.api.GpuRequest;
import io.limiquantix.node.api.GraphicsSpec;
import io.limiquantix.node.api.GuestOs;
import io.limiquantix.node.api.InvalidArgumentException;
import io.limiquantix.node.api.MemorySpec;
import io.limiquantix.node.api.NicSpec;
import io.limiquantix.node.api.UnsupportedFeatureException;
import io.limiquantix.node.api.UsbRequest;
import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.api.storage.DiskSource;
import io.limiquantix.node.cloudhv.internal.chapi.ChJson;
import io.limiquantix.node.cloudhv.internal.chapi.ChTypes;
import io.limiquantix.node.cloudhv.standin.SpecValidator;
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
        refused(Feature.SECURE_BOOT, b -> b.firmware(Firmware.UEFI_SECURE_BOOT));
        refused(Feature.SATA_DISK, b -> b.disk(new DiskSpec("d", DiskSource.file("/var/lib/limiquantix/d.img", null), DiskSpec.Bus.SATA,
            DiskSpec.Device.DISK, false, 0)));
        refused(Feature.RBD_DISK, b -> b.disk(new DiskSpec("d", DiskSource.network("rbd", "pool/img", List.of("mon1:6789"), null, null),
            DiskSpec.Bus.VIRTIO, DiskSpec.Device.DISK, false, 0)));
    }

    private static final String ID = "0a1b2c3d-e89b-42d3-a456-426614174000";

    @Test
    void bridgedNicsBecomeNetEntriesOnDerivedTapsThatConformToTheSpec() throws Exception {
        VmSpec spec = linux().id(ID).nic(new NicSpec(null, "br0", NicSpec.Model.VIRTIO, "52:54:00:aa:bb:cc"))
            .nic(new NicSpec(null, "br-storage", null, null)).build();
        ChTypes.VmConfig c = mapper.map(spec, SERIAL);
        assertEquals(2, c.net().size());
        assertEquals(new ChTypes.NetConfig("lqch0a1b2c3d0", "52:54:00:aa:bb:cc"), c.net().get(0));
        assertEquals("lqch0a1b2c3d1", c.net().get(1).tap());
        assertEquals(VmNics.generatedMac(ID, 1), c.net().get(1).mac(), "a NIC without a MAC gets the derived one");
        assertTrue(c.net().get(0).tap().length() <= 15);

        // the JSON the client sends, checked against CH's OpenAPI document like every other request
        String body = ChJson.mapper().writeValueAsString(c);
        assertTrue(body.contains("\"net\":[{\"tap\":\"lqch0a1b2c3d0\",\"mac\":\"52:54:00:aa:bb:cc\"}"), body);
        assertEquals(List.of(), SpecValidator.fromClasspath().request("PUT", "/api/v1/vm.create", "application/json", body));
    }

    @Test
    void generatedMacsAreLocallyAdministeredUnicastStableAndDistinct() {
        String a = VmNics.generatedMac(ID, 0);
        assertEquals(a, VmNics.generatedMac(ID, 0), "stable for the same VM and index");
        assertNotEquals(a, VmNics.generatedMac(ID, 1));
        assertNotEquals(a, VmNics.generatedMac("0a1b2c3d-e89b-42d3-a456-426614174001", 0));
        for (int i = 0; i < 16; i++) {
            String mac = VmNics.generatedMac(ID, i);
            assertTrue(mac.matches("[0-9a-f]{2}(:[0-9a-f]{2}){5}"), mac);
            int first = Integer.parseInt(mac.substring(0, 2), 16);
            assertEquals(2, first & 0x03, mac + ": locally administered (bit 1) and unicast (bit 0 clear)");
            new NicSpec(null, "br0", null, mac); // the API accepts it
        }
        assertEquals("lqch0a1b2c3d15", VmNics.tapName(ID, 15), "the 16th NIC still fits in 15 characters");
    }

    @Test
    void nicsThatAreNotATapOnABridgeAreRefused() {
        UnsupportedFeatureException net = assertThrows(UnsupportedFeatureException.class,
            () -> mapper.map(linux().id(ID).nic(new NicSpec(null, "br0", null, null)).nic(NicSpec.network("default")).build(), SERIAL));
        assertEquals(Feature.VIRTUAL_NETWORK, net.feature());
        assertTrue(net.getMessage().startsWith("nics[1].network"), net.getMessage());
        UnsupportedFeatureException model = assertThrows(UnsupportedFeatureException.class,
            () -> mapper.map(linux().id(ID).nic(new NicSpec(null, "br0", NicSpec.Model.E1000E, null)).build(), SERIAL));
        assertTrue(model.getMessage().startsWith("nics[0].model"), model.getMessage());
        InvalidArgumentException longName = assertThrows(InvalidArgumentException.class,
            () -> mapper.map(linux().id(ID).nic(new NicSpec(null, "a-very-long-bridge", null, null)).build(), SERIAL));
        assertEquals("nics[0].bridge", longName.field());
    }

    /** Every refusal names a feature the backend does not advertise: placement never sends such a VM here. */
    @Test
    void refusedFeaturesAreNeverAdvertised() {
        for (Feature f : List.of(Feature.WINDOWS_GUEST, Feature.USB_PASSTHROUGH, Feature.GPU_PASSTHROUGH, Feature.VNC_CONSOLE,
            Feature.SPICE_CONSOLE, Feature.NESTED_VIRTUALIZATION, Feature.VIRTUAL_NETWORK,
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
