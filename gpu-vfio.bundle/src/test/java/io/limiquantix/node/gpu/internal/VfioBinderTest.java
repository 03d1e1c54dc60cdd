package io.limiquantix.node.gpu.internal;

import static io.limiquantix.node.gpu.internal.SysfsTree.*;
import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VfioBinderTest {
    @TempDir
    Path tmp;
    SysfsTree tree;
    SimulatedKernelSysfs kernel;
    VfioBinder binder;
    SysfsPciScanner scanner;

    @BeforeEach
    void host() {
        tree = gpuHost(tmp.resolve("sys"));
        kernel = new SimulatedKernelSysfs(tree);
        binder = new VfioBinder(kernel, Duration.ZERO);
        scanner = new SysfsPciScanner(kernel);
    }

    private List<PciFunction> functions(String... addresses) {
        return java.util.Arrays.stream(addresses).map(a -> scanner.function(a).orElseThrow()).toList();
    }

    @Test
    void bindWritesOverrideThenUnbindsThenProbesEachFunctionInOrder() throws IOException {
        List<VfioBinder.Binding> done = binder.bindAll(functions(GPU1, AUDIO1));

        assertEquals(List.of(
            "bus/pci/devices/0000:01:00.0/driver_override <- vfio-pci",
            "bus/pci/devices/0000:01:00.0/driver/unbind <- 0000:01:00.0",
            "bus/pci/drivers_probe <- 0000:01:00.0",
            "bus/pci/devices/0000:01:00.1/driver_override <- vfio-pci",
            "bus/pci/devices/0000:01:00.1/driver/unbind <- 0000:01:00.1",
            "bus/pci/drivers_probe <- 0000:01:00.1"), kernel.writes);
        // What the kernel would read: the unbind went to the driver the function had, the override stuck.
        assertEquals("0000:01:00.0", tree.read("bus/pci/drivers/nouveau/unbind"));
        assertEquals("0000:01:00.1", tree.read("bus/pci/drivers/snd_hda_intel/unbind"));
        assertEquals("vfio-pci\n", tree.read("devices/pci0000:00/0000:01:00.0/driver_override"));
        assertEquals("vfio-pci", tree.driverOf(GPU1));
        assertEquals("vfio-pci", tree.driverOf(AUDIO1));
        assertEquals(List.of(new VfioBinder.Binding(GPU1, "nouveau", null), new VfioBinder.Binding(AUDIO1, "snd_hda_intel", null)), done);
    }

    @Test
    void restoreClearsOverrideLeavesVfioPciAndReprobesTheOriginalDriver() throws IOException {
        List<VfioBinder.Binding> done = binder.bindAll(functions(GPU1, AUDIO1));
        kernel.writes.clear();

        binder.restore(done.get(1));
        binder.restore(done.get(0));

        assertEquals(List.of(
            "bus/pci/devices/0000:01:00.1/driver_override <- \\n",
            "bus/pci/drivers/vfio-pci/unbind <- 0000:01:00.1",
            "bus/pci/drivers_probe <- 0000:01:00.1",
            "bus/pci/devices/0000:01:00.0/driver_override <- \\n",
            "bus/pci/drivers/vfio-pci/unbind <- 0000:01:00.0",
            "bus/pci/drivers_probe <- 0000:01:00.0"), kernel.writes);
        assertEquals("nouveau", tree.driverOf(GPU1));
        assertEquals("snd_hda_intel", tree.driverOf(AUDIO1));
        assertEquals("(null)\n", tree.read("devices/pci0000:00/0000:01:00.0/driver_override"));
        assertNull(scanner.function(GPU1).orElseThrow().driverOverride());
    }

    @Test
    void aFunctionAlreadyOnVfioPciIsNeitherTouchedNorLaterUnbound() throws IOException {
        tree.unbindLinks(AUDIO1, "snd_hda_intel");
        tree.bindLinks(AUDIO1, "vfio-pci");
        List<VfioBinder.Binding> done = binder.bindAll(functions(GPU1, AUDIO1));
        assertEquals(1, done.size());
        assertTrue(kernel.writes.stream().noneMatch(w -> w.contains("0000:01:00.1")), kernel.writes.toString());
    }

    @Test
    void anUnboundFunctionIsBoundWithoutUnbindAndGoesBackToNoDriver() throws IOException {
        tree.unbindLinks(AUDIO1, "snd_hda_intel");
        List<VfioBinder.Binding> done = binder.bindAll(functions(AUDIO1));
        assertEquals(List.of("bus/pci/devices/0000:01:00.1/driver_override <- vfio-pci", "bus/pci/drivers_probe <- 0000:01:00.1"),
            kernel.writes);
        kernel.writes.clear();
        binder.restore(done.get(0));
        assertEquals(List.of("bus/pci/devices/0000:01:00.1/driver_override <- \\n", "bus/pci/drivers/vfio-pci/unbind <- 0000:01:00.1"),
            kernel.writes, "a function that had no driver is not reprobed: it would get one");
        assertNull(tree.driverOf(AUDIO1));
    }

    @Test
    void aFailedBindRestoresEveryFunctionAlreadyMovedInReverseOrder() {
        kernel.probeRefuses(AUDIO1::equals);
        IOException e = assertThrows(IOException.class, () -> binder.bindAll(functions(GPU1, AUDIO1)));
        assertTrue(e.getMessage().contains("0000:01:00.1 is left without a driver after drivers_probe"), e.getMessage());
        assertEquals("nouveau", tree.driverOf(GPU1));
        // The audio function was unbound before the probe failed; it is given back too.
        assertEquals("snd_hda_intel", tree.driverOf(AUDIO1));
        assertEquals("(null)\n", tree.read("devices/pci0000:00/0000:01:00.0/driver_override"));
        assertEquals("(null)\n", tree.read("devices/pci0000:00/0000:01:00.1/driver_override"));
        List<String> tail = kernel.writes.subList(6, kernel.writes.size());
        assertEquals("bus/pci/devices/0000:01:00.1/driver_override <- \\n", tail.get(0), "rollback starts with the last function");
        assertTrue(tail.contains("bus/pci/drivers/vfio-pci/unbind <- 0000:01:00.0"), tail.toString());
    }

    @Test
    void restoreFallsBackToAnExplicitBindWhenTheProbeFindsNoDriver() throws IOException {
        List<VfioBinder.Binding> done = binder.bindAll(functions(GPU1));
        kernel.probeRefuses(GPU1::equals);
        kernel.writes.clear();
        binder.restore(done.get(0));
        assertEquals("bus/pci/drivers/nouveau/bind <- 0000:01:00.0", kernel.writes.get(kernel.writes.size() - 1));
        assertEquals("nouveau", tree.driverOf(GPU1));
    }

    @Test
    void restoreLeavesAFunctionSomeoneElseMovedWhereItIs() throws IOException {
        List<VfioBinder.Binding> done = binder.bindAll(functions(GPU1));
        tree.unbindLinks(GPU1, "vfio-pci");
        tree.bindLinks(GPU1, "pci-stub");
        kernel.writes.clear();
        binder.restore(done.get(0));
        assertEquals(List.of("bus/pci/devices/0000:01:00.0/driver_override <- \\n"), kernel.writes);
        assertEquals("pci-stub", tree.driverOf(GPU1));
    }
}
