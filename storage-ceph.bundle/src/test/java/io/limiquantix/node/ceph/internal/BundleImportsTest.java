package io.limiquantix.node.ceph.internal;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * bnd imports every package the classes refer to. api.bundle does not export its {@code internal}
 * package, so a reference to it would leave this bundle unresolved at run time while every plain unit
 * test passes. The manifest only exists after packaging, so the compiled classes are checked instead.
 */
class BundleImportsTest {
    @Test
    void noReferenceToPackagesTheNodeDoesNotExport() throws Exception {
        List<Path> classes;
        try (Stream<Path> s = Files.walk(Path.of("target/classes"))) {
            classes = s.filter(p -> p.toString().endsWith(".class")).toList();
        }
        assertFalse(classes.isEmpty());
        for (Path c : classes) {
            String text = new String(Files.readAllBytes(c), StandardCharsets.ISO_8859_1);
            assertFalse(text.contains("io/limiquantix/node/api/internal/"), c + " refers to api.bundle's private package");
            assertFalse(text.contains("com/ceph/"), c + " refers to com.ceph (not a bundle; see the README)");
        }
    }
}
