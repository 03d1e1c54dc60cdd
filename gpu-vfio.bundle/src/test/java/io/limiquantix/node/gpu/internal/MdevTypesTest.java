package io.limiquantix.node.gpu.internal;

import static io.limiquantix.node.gpu.internal.SysfsTree.*;
import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MdevTypesTest {
    static final String UUID1 = "0b7f1c2e-8c1a-4f3e-9d2b-5a6c7e8f9012";
    @TempDir
    Path tmp;

    @Test
    void createWritesTheUuidToTheTypesCreateAttributeAndTheDeviceAppears() throws IOException {
        SysfsTree tree = gpuHost(tmp.resolve("sys"));
        SimulatedKernelSysfs kernel = new SimulatedKernelSysfs(tree);
        MdevTypes mdevs = new MdevTypes(kernel);

        mdevs.create(VGPU_PARENT, "nvidia-222", UUID1);

        assertEquals(List.of("class/mdev_bus/0000:05:00.0/mdev_supported_types/nvidia-222/create <- " + UUID1), kernel.writes);
        assertEquals(UUID1, tree.read("devices/pci0000:00/0000:05:00.0/mdev_supported_types/nvidia-222/create"));
        assertTrue(mdevs.exists(UUID1));
        assertEquals(List.of(new MdevTypes.MdevInstance(UUID1, VGPU_PARENT, "nvidia-222", 6)), mdevs.instances());
        assertEquals(15, mdevs.types().get(0).availableInstances());
    }

    @Test
    void removeWritesOneToTheDevicesRemoveAttributeAndTheDeviceGoes() throws IOException {
        SysfsTree tree = gpuHost(tmp.resolve("sys"));
        SimulatedKernelSysfs kernel = new SimulatedKernelSysfs(tree);
        MdevTypes mdevs = new MdevTypes(kernel);
        mdevs.create(VGPU_PARENT, "nvidia-222", UUID1);
        kernel.writes.clear();

        mdevs.remove(UUID1);

        assertEquals(List.of("bus/mdev/devices/" + UUID1 + "/remove <- 1"), kernel.writes);
        assertFalse(mdevs.exists(UUID1));
        assertFalse(Files.exists(tree.deviceDir(VGPU_PARENT).resolve(UUID1)));
        assertEquals(16, mdevs.types().get(0).availableInstances());
        mdevs.remove(UUID1);
        assertEquals(1, kernel.writes.size(), "removing an absent device writes nothing");
    }

    @Test
    void aCreateTheKernelRefusesSurfacesItsError() {
        SysfsTree tree = gpuHost(tmp.resolve("sys"));
        tree.write(tree.deviceDir(VGPU_PARENT).resolve("mdev_supported_types/nvidia-230/available_instances"), "0");
        MdevTypes mdevs = new MdevTypes(new SimulatedKernelSysfs(tree));
        IOException e = assertThrows(IOException.class, () -> mdevs.create(VGPU_PARENT, "nvidia-230", UUID1));
        assertTrue(e.getMessage().contains("No space left on device"), e.getMessage());
        assertFalse(mdevs.exists(UUID1));
    }

    @Test
    void aCreateThatProducesNoDeviceIsAnError() {
        SysfsTree tree = gpuHost(tmp.resolve("sys"));
        // A plain Sysfs: the write lands but no kernel reacts, as when the vendor driver ignores it.
        MdevTypes mdevs = new MdevTypes(new Sysfs(tree.root));
        IOException e = assertThrows(IOException.class, () -> mdevs.create(VGPU_PARENT, "nvidia-222", UUID1));
        assertTrue(e.getMessage().contains("did not appear"), e.getMessage());
    }
}
