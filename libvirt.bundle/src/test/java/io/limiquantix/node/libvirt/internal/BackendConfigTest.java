package io.limiquantix.node.libvirt.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.limiquantix.node.libvirt.internal.backend.AccelDecision;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.osgi.service.cm.ConfigurationException;

class BackendConfigTest {
    private static Dictionary<String, Object> props(Map<String, Object> m) {
        return new Hashtable<>(m);
    }

    @Test
    void fullConfiguration() throws Exception {
        BackendConfig c = BackendConfig.parse(props(Map.of("name", "qemu", "uri", "qemu:///system", "ranking", 100, "accel", "tcg")));
        assertEquals(new BackendConfig("qemu", "qemu:///system", 100, AccelDecision.Requested.TCG), c);
    }

    @Test
    void defaults() throws Exception {
        BackendConfig c = BackendConfig.parse(props(Map.of("name", "remote-1", "uri", "qemu+tcp://10.77.0.2/system")));
        assertEquals(0, c.ranking());
        assertEquals(AccelDecision.Requested.AUTO, c.accel());
    }

    @Test
    void rankingFromFileInstallStringsAndLongs() throws Exception {
        assertEquals(42, BackendConfig.parse(props(Map.of("name", "a", "uri", "test:///default", "ranking", "42"))).ranking());
        assertEquals(-5, BackendConfig.parse(props(Map.of("name", "a", "uri", "test:///default", "ranking", -5L))).ranking());
    }

    @Test
    void badConfigurationsNameTheProperty() {
        assertEquals("name", bad(Map.of("uri", "qemu:///system")));
        assertEquals("name", bad(Map.of("name", "bad name", "uri", "qemu:///system")));
        assertEquals("name", bad(Map.of("name", "x".repeat(65), "uri", "qemu:///system")));
        assertEquals("uri", bad(Map.of("name", "a")));
        assertEquals("uri", bad(Map.of("name", "a", "uri", "  ")));
        assertEquals("uri", bad(Map.of("name", "a", "uri", "qemu:///system with spaces")));
        assertEquals("uri", bad(Map.of("name", "a", "uri", "no-scheme")));
        assertEquals("uri", bad(Map.of("name", "a", "uri", 7)));
        assertEquals("ranking", bad(Map.of("name", "a", "uri", "test:///default", "ranking", "high")));
        assertEquals("ranking", bad(Map.of("name", "a", "uri", "test:///default", "ranking", 1L << 40)));
        assertEquals("ranking", bad(Map.of("name", "a", "uri", "test:///default", "ranking", 1.5)));
        assertEquals("accel", bad(Map.of("name", "a", "uri", "test:///default", "accel", "hvf")));
    }

    private static String bad(Map<String, Object> m) {
        return assertThrows(ConfigurationException.class, () -> BackendConfig.parse(props(m))).getProperty();
    }
}
