package io.limiquantix.node.cloudhv.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Hashtable;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.osgi.service.cm.ConfigurationException;

class CloudHvConfigTest {
    private static final Function<String, String> DATA = Map.of("limiquantix.data", "/srv/lq")::get;

    private static Hashtable<String, Object> props(Object... kv) {
        Hashtable<String, Object> h = new Hashtable<>();
        for (int i = 0; i + 1 < kv.length; i += 2) h.put((String) kv[i], kv[i + 1]);
        return h;
    }

    @Test
    void defaultsAreTheDocumentedOnes() throws Exception {
        CloudHvConfig c = CloudHvConfig.parse(props("name", "ch"), DATA);
        assertEquals(200, c.ranking());
        assertEquals(Path.of("/usr/bin/cloud-hypervisor"), c.binary());
        assertFalse(c.binaryExplicit(), "the default binary may be found on PATH instead");
        assertEquals(Path.of("/srv/lq/cloudhv"), c.stateDir());
        assertFalse(c.skipKvmCheck());
        assertEquals(c.stateDir(), CloudHvConfig.defaults(DATA).stateDir());
        assertEquals("cloudhv", CloudHvConfig.defaults(DATA).name());
        assertEquals(Path.of("/var/lib/limiquantix/cloudhv"), CloudHvConfig.defaults(k -> null).stateDir());
    }

    @Test
    void everyPropertyIsRead() throws Exception {
        CloudHvConfig c = CloudHvConfig.parse(props("name", "fast", "ranking", "300", "binary", "/opt/ch/cloud-hypervisor",
            "stateDir", "/var/lib/ch", "firmware", "/opt/ch/CLOUDHV.fd", CloudHvConfig.SKIP_KVM_CHECK, "true"), DATA);
        assertEquals(new CloudHvConfig("fast", 300, Path.of("/opt/ch/cloud-hypervisor"), true, Path.of("/var/lib/ch"),
            Path.of("/opt/ch/CLOUDHV.fd"), true), c);
        assertTrue(CloudHvConfig.parse(props("name", "x", CloudHvConfig.SKIP_KVM_CHECK, Boolean.TRUE), DATA).skipKvmCheck());
    }

    @Test
    void aBadConfigurationIsRefusedNamingTheProperty() {
        assertEquals("name", assertThrows(ConfigurationException.class, () -> CloudHvConfig.parse(props(), DATA)).getProperty());
        assertEquals("name", assertThrows(ConfigurationException.class, () -> CloudHvConfig.parse(props("name", "a b"), DATA)).getProperty());
        assertEquals("ranking", assertThrows(ConfigurationException.class,
            () -> CloudHvConfig.parse(props("name", "a", "ranking", "high"), DATA)).getProperty());
        assertEquals("binary", assertThrows(ConfigurationException.class,
            () -> CloudHvConfig.parse(props("name", "a", "binary", "cloud-hypervisor"), DATA)).getProperty());
        assertEquals(CloudHvConfig.SKIP_KVM_CHECK, assertThrows(ConfigurationException.class,
            () -> CloudHvConfig.parse(props("name", "a", CloudHvConfig.SKIP_KVM_CHECK, "yes"), DATA)).getProperty());
    }
}
