package io.limiquantix.node.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NodeConfigTest {
    @Test
    void defaults() {
        NodeConfig c = NodeConfig.from(k -> null);
        assertEquals(Path.of("data"), c.dataDir());
        assertEquals(List.of(Path.of("/var/lib/limiquantix/images"), Path.of("/var/lib/libvirt/images")), c.storageRoots());
        assertEquals(Duration.ofSeconds(30), c.backendWait());
        assertEquals(8, c.operationThreads());
    }

    @Test
    void valuesAreReadAndNormalised() {
        Map<String, String> p = Map.of(NodeConfig.DATA, "/srv/lq", NodeConfig.STORAGE_ROOTS, " /a/b/../c , /d ,",
            NodeConfig.BACKEND_WAIT, "5", NodeConfig.OPERATION_THREADS, "2");
        NodeConfig c = NodeConfig.from(p::get);
        assertEquals(List.of(Path.of("/a/c"), Path.of("/d")), c.storageRoots());
        assertEquals(Duration.ofSeconds(5), c.backendWait());
        assertEquals(2, c.operationThreads());
    }

    @Test
    void badValuesNameTheProperty() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> NodeConfig.from(Map.of(NodeConfig.STORAGE_ROOTS, "images")::get))
            .getMessage().startsWith(NodeConfig.STORAGE_ROOTS));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> NodeConfig.from(Map.of(NodeConfig.BACKEND_WAIT, "soon")::get))
            .getMessage().startsWith(NodeConfig.BACKEND_WAIT));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> NodeConfig.from(Map.of(NodeConfig.OPERATION_THREADS, "0")::get))
            .getMessage().startsWith(NodeConfig.OPERATION_THREADS));
    }
}
