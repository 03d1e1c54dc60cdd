package io.limiquantix.node.gpu.internal;

import static io.limiquantix.node.gpu.internal.SysfsTree.*;
import static org.junit.jupiter.api.Assertions.*;

import io.limiquantix.node.api.device.HostDevice;
import io.limiquantix.node.api.device.HostDeviceSupport;
import io.limiquantix.node.gpu.internal.MdevTypes.MdevType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiscoveryTest {
    @TempDir
    Path tmp;

    private VfioDeviceProvider provider(SysfsTree tree) {
        return new VfioDeviceProvider(new SimulatedKernelSysfs(tree), new ReservationStore(tmp.resolve("data")),
            Duration.ZERO, UUID::randomUUID);
    }

    @Test
    void scanReadsEveryFunctionWithItsIdentityDriverNumaAndGroup() {
        SysfsTree tree = gpuHost(tmp.resolve("sys"));
        List<PciFunction> all = new SysfsPciScanner(new Sysfs(tree.root)).scan();
        assertEquals(List.of("0000:00:00.0", "0000:00:02.0", HOST_NIC, GPU1, AUDIO1, GPU2, AUDIO2, GPU3, SHARED_NIC, VGPU_PARENT),
            all.stream().map(PciFunction::address).toList());
        PciFunction gpu = all.stream().filter(f -> f.address().equals(GPU2)).findFirst().orElseThrow();
        assertEquals(new PciFunction(GPU2, "10de", "1db6", "030200", "nouveau", null, 2, 1, false, false), gpu);
        PciFunction bridge = all.stream().filter(f -> f.address().equals(ROOT_PORT2)).findFirst().orElseThrow();
        assertTrue(bridge.isBridge());
        assertFalse(bridge.isGpu());
        PciFunction hostBridge = all.get(0);
        assertNull(hostBridge.driver());
        assertEquals(-1, hostBridge.numaNode());
        assertEquals("0000:01:00", new SysfsPciScanner(new Sysfs(tree.root)).function(AUDIO1).orElseThrow().slot());
    }

    @Test
    void devicesDescribeGpusAndTheirAudioFunctionsAsHostDevices() {
        VfioDeviceProvider p = provider(gpuHost(tmp.resolve("sys")));
        Map<String, HostDevice> byAddress = p.devices().stream().collect(Collectors.toMap(HostDevice::address, d -> d));
        assertEquals(new HostDevice(HostDevice.Kind.PCI, GPU1, "10de", "1db6", "030200", "nouveau", 1, 0, null, null, "3D controller"),
            byAddress.get(GPU1));
        assertEquals(new HostDevice(HostDevice.Kind.PCI, AUDIO1, "10de", "10f0", "040300", "snd_hda_intel", 1, 0, null, null, "Audio device"),
            byAddress.get(AUDIO1));
        assertEquals("Ethernet controller", byAddress.get(SHARED_NIC).description());
        assertEquals(10, p.devices().size(), "one HostDevice per PCI function and no mediated device yet");
    }

    @Test
    void supportIsFullOnAnIommuHostWithVfioPciAndAVgpuParent() {
        HostDeviceSupport s = provider(gpuHost(tmp.resolve("sys"))).support();
        assertEquals(new HostDeviceSupport(true, true, null), s);
    }

    @Test
    void supportNamesTheMissingIommuAndVfioPciPreciselyAndThePathsLookedAt() {
        SysfsTree tree = hostWithoutIommu(tmp.resolve("sys"));
        HostDeviceSupport s = provider(tree).support();
        assertFalse(s.passthrough());
        assertFalse(s.mediatedDevices());
        assertTrue(s.reason().contains("no IOMMU: " + tree.root.resolve("kernel/iommu_groups") + " is empty"), s.reason());
        assertTrue(s.reason().contains("intel_iommu=on or amd_iommu=on"), s.reason());
        assertTrue(s.reason().contains("vfio-pci driver not available: " + tree.root.resolve("bus/pci/drivers/vfio-pci") + " is missing"), s.reason());
        assertTrue(s.reason().contains("no mediated devices"), s.reason());
    }

    @Test
    void supportWithIommuButWithoutVfioPciSaysOnlyThat() throws Exception {
        SysfsTree tree = gpuHost(tmp.resolve("sys"));
        java.nio.file.Files.walk(tree.root.resolve("bus/pci/drivers/vfio-pci")).sorted(java.util.Comparator.reverseOrder())
            .forEach(f -> f.toFile().delete());
        HostDeviceSupport s = provider(tree).support();
        assertFalse(s.passthrough());
        assertTrue(s.mediatedDevices());
        assertTrue(s.reason().startsWith("vfio-pci driver not available"), s.reason());
        assertFalse(s.reason().contains("IOMMU"), s.reason());
    }

    @Test
    void mdevTypesListNameApiDescriptionAndAvailableInstances() {
        List<MdevType> types = new MdevTypes(new Sysfs(gpuHost(tmp.resolve("sys")).root)).types();
        assertEquals(2, types.size());
        MdevType t = types.get(0);
        assertEquals(VGPU_PARENT, t.parent());
        assertEquals("nvidia-222", t.id());
        assertEquals("GRID T4-1B", t.name());
        assertEquals(16, t.availableInstances());
        assertEquals("vfio-pci", t.deviceApi());
        assertTrue(t.description().startsWith("num_heads=4"));
        assertEquals(2, types.get(1).availableInstances());
    }

    @Test
    void existingMediatedDevicesAreListedWithParentTypeAndGroup() throws Exception {
        SysfsTree tree = gpuHost(tmp.resolve("sys"));
        SimulatedKernelSysfs kernel = new SimulatedKernelSysfs(tree);
        String uuid = "4b20d080-1b54-4048-85b3-a6a62d165c01";
        new MdevTypes(kernel).create(VGPU_PARENT, "nvidia-230", uuid);
        VfioDeviceProvider p = new VfioDeviceProvider(kernel, new ReservationStore(tmp.resolve("data")), Duration.ZERO, UUID::randomUUID);
        HostDevice mdev = p.devices().stream().filter(d -> d.kind() == HostDevice.Kind.MDEV).findFirst().orElseThrow();
        assertEquals(VGPU_PARENT, mdev.address());
        assertEquals(uuid, mdev.mdevUuid());
        assertEquals("nvidia-230", mdev.mdevType());
        assertEquals("nvidia", mdev.driver());
        assertEquals(6, mdev.iommuGroup(), "the kernel gives every mediated device a group of its own");
        assertTrue(mdev.description().startsWith("GRID T4-8Q - num_heads=4"), mdev.description());
    }

    @Test
    void descriptionsFromDriversAreMadeSafeForHostDevice() {
        assertEquals("a b c", HostDeviceText.description("a\n b\t\tc\n"));
        assertEquals("x=1 y", HostDeviceText.description("<x>=1 &'y\""));
        assertEquals(HostDeviceText.DESCRIPTION_MAX, HostDeviceText.description("z".repeat(1000)).length());
        assertNull(HostDeviceText.nameOrNull("bad name"));
        assertEquals("snd_hda_intel", HostDeviceText.nameOrNull("snd_hda_intel"));
    }
}
