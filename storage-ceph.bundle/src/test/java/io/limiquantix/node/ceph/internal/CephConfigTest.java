package io.limiquantix.node.ceph.internal;

import static org.junit.jupiter.api.Assertions.*;

import io.limiquantix.node.api.InvalidArgumentException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Configuration parsing and key reading; no cluster needed. */
class CephConfigTest {
    private static final String KEY = "AQBzcT9mAAAAABAAvbsBe2Pjl5+3wS1T3FqN6g==";
    @TempDir
    Path tmp;

    private static Map<String, Object> minimal() {
        Map<String, Object> m = new HashMap<>();
        m.put("monitors", "10.0.0.1:3300, 10.0.0.2:6789");
        m.put("keyring", "/etc/ceph/ceph.client.admin.keyring");
        return m;
    }

    @Test
    void defaults() {
        CephConfig c = CephConfig.from(minimal());
        assertEquals("ceph", c.name());
        assertEquals("rbd", c.providerName());
        assertEquals(List.of("10.0.0.1:3300", "10.0.0.2:6789"), c.monitors());
        assertEquals("rbd", c.pool());
        assertEquals("client.admin", c.entity());
        assertEquals(Duration.ofSeconds(10), c.connectTimeout());
    }

    @Test
    void otherClustersGetTheirOwnProviderName() {
        Map<String, Object> m = minimal();
        m.put("name", "backup");
        m.put("monitors", new String[] {"[::1]:3300"});
        m.put("connectTimeoutSeconds", "3");
        CephConfig c = CephConfig.from(m);
        assertEquals("rbd-backup", c.providerName());
        assertEquals(Duration.ofSeconds(3), c.connectTimeout());
    }

    @Test
    void refusalsNameTheProperty() {
        assertField("monitors", Map.of("monitors", ""));
        assertField("monitors", Map.of("monitors", "host-without-port"));
        assertField("monitors", Map.of("monitors", "h:99999"));
        assertField("keyring", Map.of("keyring", ""));
        assertField("keyring", Map.of("keyFile", "/k"));
        assertField("keyring", Map.of("keyring", "relative/path"));
        assertField("pool", Map.of("pool", "a/b"));
        assertField("user", Map.of("user", "client admin"));
        assertField("connectTimeoutSeconds", Map.of("connectTimeoutSeconds", "ten"));
        assertField("connectTimeoutSeconds", Map.of("connectTimeoutSeconds", 0));
        assertField("name", Map.of("name", "../x"));
    }

    private static void assertField(String field, Map<String, Object> change) {
        Map<String, Object> m = minimal();
        m.putAll(change);
        assertEquals(field, assertThrows(InvalidArgumentException.class, () -> CephConfig.from(m)).field(), change.toString());
    }

    @Test
    void readsTheUsersKeyFromAKeyring() throws Exception {
        Path keyring = tmp.resolve("k");
        Files.writeString(keyring, "[client.other]\n\tkey = AQAAAAAAAAAAABAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\n[client.admin]\n\tkey = " + KEY
            + "\n\tcaps mon = \"allow *\"\n");
        Map<String, Object> m = minimal();
        m.put("keyring", keyring.toString());
        CephKey key = CephKey.read(CephConfig.from(m));
        assertEquals(KEY, key.base64());
        assertFalse(key.toString().contains(KEY));
        m.put("user", "nobody");
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> CephKey.read(CephConfig.from(m)));
        assertEquals("keyring", e.field());
        assertTrue(e.getMessage().contains("[client.nobody]"), e.getMessage());
    }

    @Test
    void readsABareKeyFileAndRefusesGarbageWithoutQuotingIt() throws Exception {
        Path file = tmp.resolve("key");
        Files.writeString(file, KEY + "\n");
        Map<String, Object> m = minimal();
        m.remove("keyring");
        m.put("keyFile", file.toString());
        assertEquals(KEY, CephKey.read(CephConfig.from(m)).base64());
        Files.writeString(file, "not-a-key-secret!!");
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> CephKey.read(CephConfig.from(m)));
        assertEquals("keyFile", e.field());
        assertFalse(e.getMessage().contains("not-a-key-secret"), e.getMessage());
    }

    @Test
    void featureNames() {
        assertEquals(RbdFeatures.DEFAULT, RbdFeatures.parse(Map.of()));
        assertEquals(0b111101L, RbdFeatures.DEFAULT, "layering, exclusive-lock, object-map, fast-diff, deep-flatten");
        assertEquals(Rbd.FEATURE_LAYERING | Rbd.FEATURE_EXCLUSIVE_LOCK, RbdFeatures.parse(Map.of("features", "layering, exclusive-lock")));
        assertThrows(InvalidArgumentException.class, () -> RbdFeatures.parse(Map.of("features", "object-map")));
        assertThrows(InvalidArgumentException.class, () -> RbdFeatures.parse(Map.of("features", "exclusive-lock,fast-diff")));
    }
}
