package io.limiquantix.node.gpu.internal;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GpuConfigTest {
    @Test
    void defaultsAreTheRealSysfsAndTheNodesDataDirectory() {
        assertEquals(new GpuConfig(Path.of("/sys"), Path.of("data"), Duration.ofSeconds(5)), GpuConfig.from(k -> null));
    }

    @Test
    void propertiesOverrideTheDefaults() {
        Map<String, String> p = Map.of("limiquantix.gpu.sysfs", "/tmp/fake-sys", "limiquantix.data", "/var/lib/limiquantix",
            "limiquantix.gpu.probe.wait", "0");
        assertEquals(new GpuConfig(Path.of("/tmp/fake-sys"), Path.of("/var/lib/limiquantix"), Duration.ZERO), GpuConfig.from(p::get));
    }

    @Test
    void badValuesNameTheProperty() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> GpuConfig.from(Map.of("limiquantix.gpu.sysfs", "sys")::get))
            .getMessage().startsWith("limiquantix.gpu.sysfs"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> GpuConfig.from(Map.of("limiquantix.gpu.probe.wait", "soon")::get))
            .getMessage().startsWith("limiquantix.gpu.probe.wait"));
    }
}
