package io.limiquantix.node.gpu.internal;

import static io.limiquantix.node.gpu.internal.SysfsTree.*;
import static org.junit.jupiter.api.Assertions.*;

import io.limiquantix.node.api.BackendFailureException;
import io.limiquantix.node.api.BackendUnavailableException;
import io.limiquantix.node.api.ConflictException;
import io.limiquantix.node.api.Feature;
import io.limiquantix.node.api.GpuRequest;
import io.limiquantix.node.api.InvalidArgumentException;
import io.limiquantix.node.api.UnsupportedFeatureException;
import io.limiquantix.node.api.device.HostDevice;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reserve and release through the provider, against a simulated kernel and a real reservation file. */
class ReservationTest {
    static final String VM_A = "6f1c3a52-0d7e-4c0a-9b1e-2f3a4b5c6d7e";
    static final String VM_B = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";
    static final String MDEV1 = "11111111-2222-4333-8444-555555555555";
    static final String MDEV2 = "66666666-7777-4888-9999-aaaaaaaaaaaa";

    @TempDir
    Path tmp;
    SysfsTree tree;
    SimulatedKernelSysfs kernel;
    Path data;
    Deque<UUID> uuids;

    @BeforeEach
    void host() {
        tree = gpuHost(tmp.resolve("sys"));
        kernel = new SimulatedKernelSysfs(tree);
        data = tmp.resolve("data");
        uuids = new ArrayDeque<>(List.of(UUID.fromString(MDEV1), UUID.fromString(MDEV2)));
    }

    private VfioDeviceProvider provider() {
        return new VfioDeviceProvider(kernel, new ReservationStore(data), Duration.ZERO, uuids::removeFirst);
    }

    private static GpuRequest byAddress(String address) {
        return new GpuRequest(address, null, null, 1);
    }

    private static GpuRequest byId(String vendorDevice, int count) {
        return new GpuRequest(null, vendorDevice, null, count);
    }

    private static GpuRequest byType(String type, int count) {
        return new GpuRequest(null, null, type, count);
    }

    private static List<String> addresses(List<HostDevice> devices) {
        return devices.stream().map(d -> d.kind() == HostDevice.Kind.PCI ? d.address() : d.mdevUuid()).toList();
    }

    private static <T extends Throwable> T refused(Class<T> type, org.junit.jupiter.api.function.Executable call) {
        return assertThrows(type, call);
    }

    @Test
    void reservingAGpuByAddressGivesItWithItsAudioFunctionOnVfioPci() {
        VfioDeviceProvider p = provider();
        List<HostDevice> given = p.reserve(VM_A, List.of(byAddress(GPU1)));

        assertEquals(List.of(GPU1, AUDIO1), addresses(given));
        assertEquals(List.of("vfio-pci", "vfio-pci"), given.stream().map(HostDevice::driver).toList());
        assertEquals("vfio-pci", tree.driverOf(GPU1));
        assertEquals("vfio-pci", tree.driverOf(AUDIO1));
        assertEquals(Map.of(VM_A, given), p.reservations());
        assertTrue(Files.exists(data.resolve(ReservationStore.NAME)));
    }

    @Test
    void aBridgeInTheGroupIsNeitherMovedNorGiven() {
        List<HostDevice> given = provider().reserve(VM_A, List.of(byAddress(GPU2)));
        assertEquals(List.of(GPU2, AUDIO2), addresses(given));
        assertEquals("pcieport", tree.driverOf(ROOT_PORT2));
        assertTrue(kernel.writes.stream().noneMatch(w -> w.contains(ROOT_PORT2)), kernel.writes.toString());
    }

    @Test
    void aGroupSharedWithAHostNicIsRefusedNamingTheGroupTheNicAndItsDriver() {
        ConflictException e = refused(ConflictException.class, () -> provider().reserve(VM_A, List.of(byAddress(GPU3))));
        assertTrue(e.getMessage().contains("IOMMU group 4 of 0000:03:00.0 is not viable"), e.getMessage());
        assertTrue(e.getMessage().contains("0000:04:00.0 (Ethernet controller 8086:1533) is bound to host driver igb"), e.getMessage());
        assertEquals(List.of(), kernel.writes, "nothing is touched before the checks pass");
        assertEquals("igb", tree.driverOf(SHARED_NIC));
        assertFalse(Files.exists(data.resolve(ReservationStore.NAME)));
    }

    @Test
    void aGroupMemberAlreadyOnPciStubOrUnboundIsHeldButNotGiven() {
        tree.unbindLinks(SHARED_NIC, "igb");
        tree.bindLinks(SHARED_NIC, "pci-stub");
        VfioDeviceProvider p = provider();
        assertEquals(List.of(GPU3), addresses(p.reserve(VM_A, List.of(byAddress(GPU3)))));
        assertEquals(List.of(GPU3, SHARED_NIC), addresses(p.reservations().get(VM_A)), "the NIC is held with its group");
        assertEquals("pci-stub", tree.driverOf(SHARED_NIC));
        ConflictException e = refused(ConflictException.class, () -> p.reserve(VM_B, List.of(byAddress(GPU3))));
        assertTrue(e.getMessage().contains("reserved by VM " + VM_A), e.getMessage());
    }

    @Test
    void requestFieldsAreNamedForAbsentOrWrongDevices() {
        VfioDeviceProvider p = provider();
        assertEquals("gpus[1].pciAddress", refused(InvalidArgumentException.class,
            () -> p.reserve(VM_A, List.of(byAddress(GPU1), byAddress("0000:0a:00.0")))).field());
        assertEquals("gpus[0].pciAddress", refused(InvalidArgumentException.class,
            () -> p.reserve(VM_A, List.of(byAddress(HOST_NIC)))).field());
        assertEquals("gpus[0].vendorDevice", refused(InvalidArgumentException.class,
            () -> p.reserve(VM_A, List.of(byId("1002:73bf", 1)))).field());
        InvalidArgumentException type = refused(InvalidArgumentException.class, () -> p.reserve(VM_A, List.of(byType("nvidia-999", 1))));
        assertEquals("gpus[0].mdevType", type.field());
        assertTrue(type.reason().contains("offered: nvidia-222, nvidia-230"), type.reason());
        assertEquals("gpus[1].pciAddress", refused(InvalidArgumentException.class,
            () -> p.reserve(VM_A, List.of(byAddress(GPU1), byAddress(GPU1)))).field());
        assertEquals("vmId", refused(InvalidArgumentException.class, () -> p.reserve("../x", List.of(byAddress(GPU1)))).field());
        assertEquals(List.of(), kernel.writes);
        assertEquals(Map.of(), p.reservations());
    }

    @Test
    void aDoubleReservationIsRefusedNamingTheVmThatHoldsTheDevice() {
        VfioDeviceProvider p = provider();
        p.reserve(VM_A, List.of(byAddress(GPU1)));
        int writes = kernel.writes.size();
        ConflictException e = refused(ConflictException.class, () -> p.reserve(VM_B, List.of(byAddress(GPU1))));
        assertTrue(e.getMessage().contains("0000:01:00.0 (3D controller 10de:1db6) is reserved by VM " + VM_A), e.getMessage());
        ConflictException again = refused(ConflictException.class, () -> p.reserve(VM_A, List.of(byAddress(GPU2))));
        assertTrue(again.getMessage().contains("VM " + VM_A + " already holds devices"), again.getMessage());
        assertEquals(writes, kernel.writes.size());
        assertEquals(List.of(VM_A), List.copyOf(p.reservations().keySet()));
    }

    @Test
    void byVendorDeviceTakesFreeGpusAndRefusesWhenTooFewAreLeft() {
        VfioDeviceProvider p = provider();
        p.reserve(VM_A, List.of(byAddress(GPU1)));
        ConflictException e = refused(ConflictException.class, () -> p.reserve(VM_B, List.of(byId("10de:1db6", 2))));
        assertTrue(e.getMessage().startsWith("gpus[0]: 2 GPU(s) 10de:1db6 requested, only 1 can be given"), e.getMessage());
        assertTrue(e.getMessage().contains("reserved by VM " + VM_A), e.getMessage());
        assertEquals("nouveau", tree.driverOf(GPU2), "all or nothing: the one free GPU was not taken either");
        assertEquals(List.of(GPU2, AUDIO2), addresses(p.reserve(VM_B, List.of(byId("10de:1db6", 1)))));
    }

    @Test
    void twoGpusByVendorDeviceInOneRequest() {
        List<HostDevice> given = provider().reserve(VM_A, List.of(byId("10de:1db6", 2)));
        assertEquals(List.of(GPU1, AUDIO1, GPU2, AUDIO2), addresses(given));
    }

    @Test
    void allOrNothingWhenALaterRequestIsRefused() {
        VfioDeviceProvider p = provider();
        refused(ConflictException.class, () -> p.reserve(VM_A, List.of(byAddress(GPU1), byAddress(GPU3))));
        assertEquals(List.of(), kernel.writes, "the first GPU was not bound");
        assertEquals(Map.of(), p.reservations());
        assertEquals(Map.of(), provider().reservations(), "and nothing was written for it");
    }

    @Test
    void allOrNothingWhenABindFailsHalfWay() {
        kernel.failWrite(w -> w.equals("bus/pci/drivers_probe <- " + AUDIO2));
        VfioDeviceProvider p = provider();
        BackendFailureException e = refused(BackendFailureException.class,
            () -> p.reserve(VM_A, List.of(byAddress(GPU1), byAddress(GPU2))));
        assertTrue(e.getMessage().contains("rolled back"), e.getMessage());
        for (String f : List.of(GPU1, GPU2)) assertEquals("nouveau", tree.driverOf(f), f);
        for (String f : List.of(AUDIO1, AUDIO2)) assertEquals("snd_hda_intel", tree.driverOf(f), f);
        for (String f : List.of(GPU1, AUDIO1, GPU2, AUDIO2))
            assertEquals("(null)\n", tree.read("devices/pci0000:00/" + f + "/driver_override"), f);
        assertEquals(Map.of(), p.reservations());
        assertEquals(Map.of(), provider().reservations(), "the file no longer claims them");
    }

    @Test
    void reservationsSurviveANewProviderReadingTheSameFile() {
        provider().reserve(VM_A, List.of(byAddress(GPU1)));

        VfioDeviceProvider restarted = provider();
        assertEquals(List.of(GPU1, AUDIO1), addresses(restarted.reservations().get(VM_A)));
        ConflictException e = refused(ConflictException.class, () -> restarted.reserve(VM_B, List.of(byId("10de:1db6", 2))));
        assertTrue(e.getMessage().contains("reserved by VM " + VM_A), e.getMessage());

        kernel.writes.clear();
        restarted.release(VM_A);
        assertEquals("nouveau", tree.driverOf(GPU1), "the original driver came from the file");
        assertEquals("snd_hda_intel", tree.driverOf(AUDIO1));
        assertEquals(List.of(
            "bus/pci/devices/0000:01:00.1/driver_override <- \\n",
            "bus/pci/drivers/vfio-pci/unbind <- 0000:01:00.1",
            "bus/pci/drivers_probe <- 0000:01:00.1",
            "bus/pci/devices/0000:01:00.0/driver_override <- \\n",
            "bus/pci/drivers/vfio-pci/unbind <- 0000:01:00.0",
            "bus/pci/drivers_probe <- 0000:01:00.0"), kernel.writes);
        assertEquals(Map.of(), provider().reservations());
    }

    @Test
    void releaseOfAnUnknownVmChangesNothing() {
        VfioDeviceProvider p = provider();
        p.release(VM_B);
        assertEquals(List.of(), kernel.writes);
        assertFalse(Files.exists(data.resolve(ReservationStore.NAME)));
    }

    @Test
    void mediatedDevicesAreCreatedOnReserveAndRemovedOnRelease() {
        VfioDeviceProvider p = provider();
        List<HostDevice> given = p.reserve(VM_A, List.of(byType("nvidia-230", 2)));
        assertEquals(List.of(MDEV1, MDEV2), addresses(given));
        assertEquals(List.of(
            "class/mdev_bus/0000:05:00.0/mdev_supported_types/nvidia-230/create <- " + MDEV1,
            "class/mdev_bus/0000:05:00.0/mdev_supported_types/nvidia-230/create <- " + MDEV2), kernel.writes);
        HostDevice d = given.get(0);
        assertEquals(HostDevice.Kind.MDEV, d.kind());
        assertEquals(VGPU_PARENT, d.address());
        assertEquals("nvidia-230", d.mdevType());
        assertEquals(0, p.mdevTypes().get(1).availableInstances());

        ConflictException none = refused(ConflictException.class, () -> p.reserve(VM_B, List.of(byType("nvidia-230", 1))));
        assertTrue(none.getMessage().contains("0000:05:00.0: 0 available"), none.getMessage());
        ConflictException whole = refused(ConflictException.class, () -> p.reserve(VM_B, List.of(byAddress(VGPU_PARENT))));
        assertTrue(whole.getMessage().contains("serves mediated devices"), whole.getMessage());

        kernel.writes.clear();
        p.release(VM_A);
        assertEquals(List.of("bus/mdev/devices/" + MDEV1 + "/remove <- 1", "bus/mdev/devices/" + MDEV2 + "/remove <- 1"), kernel.writes);
        assertEquals(2, p.mdevTypes().get(1).availableInstances());
    }

    @Test
    void mediatedDevicesAreRecreatedAfterAHostRebootLostThem() throws Exception {
        provider().reserve(VM_A, List.of(byType("nvidia-222", 1)));
        new MdevTypes(kernel).remove(MDEV1); // what a reboot does to an mdev
        provider().repairAfterRestart();
        assertTrue(new MdevTypes(kernel).exists(MDEV1));
    }

    @Test
    void functionsAreRebindAfterAHostRebootGaveThemBackToTheirDrivers() {
        provider().reserve(VM_A, List.of(byAddress(GPU1)));
        for (String f : List.of(GPU1, AUDIO1)) { // a reboot: no override, native drivers probed
            tree.unbindLinks(f, "vfio-pci");
            tree.write(tree.deviceDir(f).resolve("driver_override"), "(null)");
            tree.bindLinks(f, tree.nativeDriver(f));
        }
        provider().repairAfterRestart();
        assertEquals("vfio-pci", tree.driverOf(GPU1));
        assertEquals("vfio-pci", tree.driverOf(AUDIO1));
    }

    @Test
    void noIommuRefusesPassthroughWithTheReasonAndTouchesNothing() {
        SysfsTree bare = hostWithoutIommu(tmp.resolve("bare"));
        SimulatedKernelSysfs k = new SimulatedKernelSysfs(bare);
        VfioDeviceProvider p = new VfioDeviceProvider(k, new ReservationStore(data), Duration.ZERO, UUID::randomUUID);
        UnsupportedFeatureException e = refused(UnsupportedFeatureException.class, () -> p.reserve(VM_A, List.of(byAddress(GPU1))));
        assertEquals(Feature.GPU_PASSTHROUGH, e.feature());
        assertTrue(e.getMessage().contains("no IOMMU"), e.getMessage());
        UnsupportedFeatureException m = refused(UnsupportedFeatureException.class, () -> p.reserve(VM_A, List.of(byType("nvidia-222", 1))));
        assertEquals(Feature.MEDIATED_DEVICE, m.feature());
        assertEquals(List.of(), k.writes);
    }

    @Test
    void theHostsBootDisplayAndADeviceAnotherProcessHoldsAreRefused() {
        tree.attribute(GPU1, "boot_vga", "1");
        ConflictException boot = refused(ConflictException.class, () -> provider().reserve(VM_A, List.of(byAddress(GPU1))));
        assertTrue(boot.getMessage().contains("boot display (boot_vga=1, driver nouveau)"), boot.getMessage());

        tree.unbindLinks(GPU2, "nouveau");
        tree.bindLinks(GPU2, "vfio-pci");
        tree.attribute(GPU2, "enable", "1");
        ConflictException open = refused(ConflictException.class, () -> provider().reserve(VM_A, List.of(byAddress(GPU2))));
        assertTrue(open.getMessage().contains("bound to vfio-pci and enabled"), open.getMessage());
        assertEquals(List.of(), kernel.writes);
    }

    @Test
    void anUnreadableReservationFileStopsReservationsInsteadOfStartingEmpty() throws Exception {
        Files.createDirectories(data);
        Files.writeString(data.resolve(ReservationStore.NAME), "{ truncated");
        VfioDeviceProvider p = provider();
        assertFalse(p.support().passthrough());
        assertTrue(p.support().reason().contains("cannot be read"), p.support().reason());
        refused(BackendUnavailableException.class, () -> p.reserve(VM_A, List.of(byAddress(GPU1))));
        refused(BackendUnavailableException.class, () -> p.release(VM_A));
        assertEquals("{ truncated", Files.readString(data.resolve(ReservationStore.NAME)), "the file is left for the operator");
        assertEquals(List.of(), kernel.writes);
    }

    @Test
    void theFileIsReplacedAtomicallyAndLeavesNoTemporaryFiles() throws Exception {
        VfioDeviceProvider p = provider();
        p.reserve(VM_A, List.of(byAddress(GPU1)));
        p.reserve(VM_B, List.of(byAddress(GPU2)));
        p.release(VM_A);
        try (Stream<Path> s = Files.list(data)) {
            assertEquals(List.of(ReservationStore.NAME), s.map(f -> f.getFileName().toString()).toList());
        }
        String json = Files.readString(data.resolve(ReservationStore.NAME));
        assertTrue(json.contains("\"vmId\" : \"" + VM_B + "\""), json);
        assertTrue(json.contains("\"originalDriver\" : \"nouveau\""), json);
        assertFalse(json.contains(VM_A), json);
        // A temporary file left by a write the node died in is cleaned up, and never read.
        Files.writeString(data.resolve(ReservationStore.NAME + ".123.tmp"), "garbage");
        assertEquals(List.of(GPU2, AUDIO2), addresses(provider().reservations().get(VM_B)), "the bridge is neither given nor held");
        assertFalse(Files.exists(data.resolve(ReservationStore.NAME + ".123.tmp")));
    }

    @Test
    void aFunctionOfTheSameCardInAnotherGroupIsNotACompanion() {
        tree.moveToGroup(AUDIO1, 9);
        assertEquals(List.of(GPU1), addresses(provider().reserve(VM_A, List.of(byAddress(GPU1)))));
        assertEquals("snd_hda_intel", tree.driverOf(AUDIO1));
    }

    @Test
    void twoGpusSharingOneGroupCanBothBeGivenToOneVmButNotSplit() {
        tree.moveToGroup(GPU2, 1);
        tree.moveToGroup(AUDIO2, 1);
        VfioDeviceProvider p = provider();
        ConflictException split = refused(ConflictException.class, () -> p.reserve(VM_A, List.of(byAddress(GPU1))));
        assertTrue(split.getMessage().contains("0000:02:00.0 (3D controller 10de:1db6) is bound to host driver nouveau"), split.getMessage());
        ConflictException one = refused(ConflictException.class, () -> p.reserve(VM_A, List.of(byId("10de:1db6", 1))));
        assertTrue(one.getMessage().contains("IOMMU group 1 of 0000:01:00.0 is not viable"), one.getMessage());
        assertEquals(List.of(), kernel.writes);
        assertEquals(List.of(GPU1, AUDIO1, GPU2, AUDIO2), addresses(p.reserve(VM_A, List.of(byId("10de:1db6", 2)))));
        p.release(VM_A);
        assertEquals(List.of(GPU1, AUDIO1, GPU2, AUDIO2), addresses(p.reserve(VM_B, List.of(byAddress(GPU1), byAddress(GPU2)))),
            "by address too, whatever the order of the requests");
        assertEquals(List.of(GPU1, AUDIO1, GPU2, AUDIO2), addresses(p.reservations().get(VM_B)));
    }

    @Test
    void aGroupMemberThatIsNotAPciFunctionMakesTheGroupNotViable() throws Exception {
        Path platform = tree.root.resolve("devices/platform/AMDI0010:00");
        Files.createDirectories(platform);
        tree.link(tree.root.resolve("kernel/iommu_groups/1/devices/AMDI0010:00"), platform);
        ConflictException e = refused(ConflictException.class, () -> provider().reserve(VM_A, List.of(byAddress(GPU1))));
        assertTrue(e.getMessage().contains("AMDI0010:00 is not a PCI function this node can inspect"), e.getMessage());
    }
}
