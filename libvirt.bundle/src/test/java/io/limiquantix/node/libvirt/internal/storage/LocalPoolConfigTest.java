package io.limiquantix.node.libvirt.internal.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.limiquantix.node.api.InvalidArgumentException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The local provider's configuration: defaults, and every bad value refused with the property's name. */
class LocalPoolConfigTest {
    static final List<Path> ROOTS = LocalPoolConfig.roots(null);

    @Test
    void defaults() {
        LocalPoolConfig c = LocalPoolConfig.from(Map.of(), ROOTS);
        assertEquals(new LocalPoolConfig("local", "qemu:///system", "limiquantix-local", Path.of("/var/lib/limiquantix/images/local")), c);
        assertEquals(List.of(Path.of("/var/lib/limiquantix/images"), Path.of("/var/lib/libvirt/images")), ROOTS);
        assertEquals(List.of(Path.of("/srv/a"), Path.of("/srv/b")), LocalPoolConfig.roots(" /srv/a/ , /srv/b"));
    }

    @Test
    void badValuesNameTheirProperty() {
        refused("path", Map.of("path", "/etc/lq"));
        refused("path", Map.of("path", "/var/lib/libvirt/images/../../../etc"));
        refused("path", Map.of("path", "/var/lib/libvirt/images/./x"));
        refused("path", Map.of("path", "relative/dir"));
        refused("path", Map.of("path", "/var/lib/libvirt/images"));
        refused("path", Map.of("path", "/var/lib/libvirt/imagesX/y"));
        refused("path", Map.of("path", ""));
        refused("name", Map.of("name", "../x"));
        refused("name", Map.of("name", "a b"));
        refused("pool", Map.of("pool", "p'ool"));
        refused("pool", Map.of("pool", "-p"));
        refused("uri", Map.of("uri", "qemu+ssh://otherhost/system"));
        refused("uri", Map.of("uri", "qemu:///system\nx"));
        assertEquals(Path.of("/var/lib/libvirt/images/pool"), LocalPoolConfig.from(Map.of("path", "/var/lib/libvirt/images/pool/"), ROOTS).path());
    }

    private static void refused(String field, Map<String, ?> props) {
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> LocalPoolConfig.from(props, ROOTS), props.toString());
        assertEquals(field, e.field(), e.getMessage());
    }
}
