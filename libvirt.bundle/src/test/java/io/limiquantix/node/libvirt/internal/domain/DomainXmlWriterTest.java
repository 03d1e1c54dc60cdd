package io.limiquantix.node.libvirt.internal.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.limiquantix.node.api.Accelerator;
import io.limiquantix.node.api.InvalidArgumentException;
import io.limiquantix.node.api.VmSpec;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The writer must keep every value a value, whatever it contains. The API already refuses markup in
 * names and paths; these tests bypass it by building the model directly, as a future caller might.
 */
class DomainXmlWriterTest {
    private static final String EVIL = "x'/><disk type=\"block\"><source dev=\"/dev/sda\"/></disk><name>&amp;<!--";

    private static DomainModel model(String name, String path, String label) {
        DomainModel m = new DomainMapper(HostTarget.of(Accelerator.TCG, false)).map(Specs.linuxKernelBoot("base"));
        DomainModel.Disk disk = new DomainModel.Disk("file", "disk", "raw", path, null, List.of(), null, null, "vda", "virtio",
            false, "ua-" + name, 0);
        return new DomainModel(m.type(), name, m.uuid(), new DomainModel.Metadata("LINUX", null, Map.of("k", label)), m.memoryKiB(),
            m.cpu(), new DomainModel.Os("x86_64", "q35", null, false, path, null, label, List.of()), m.features(), m.clock(),
            List.of(disk), List.of(), new DomainModel.Graphics("vnc", "127.0.0.1", label), null, new DomainModel.Serial(path), m.devices());
    }

    @Test
    void markupInValuesStaysText() {
        String xml = DomainXmlWriter.write(model(EVIL, "/tmp/" + EVIL, EVIL));
        XmlDoc x = XmlDoc.parse(xml);
        assertEquals("1", x.string("count(/domain/devices/disk)"), "no disk may be injected");
        assertEquals("1", x.string("count(/domain/name)"));
        assertEquals(EVIL, x.string("/domain/name"));
        assertEquals("/tmp/" + EVIL, x.string("/domain/devices/disk/source/@file"));
        assertEquals("ua-" + EVIL, x.string("/domain/devices/disk/alias/@name"));
        assertEquals(EVIL, x.string("/domain/os/cmdline"));
        assertEquals(EVIL, x.string("/domain/devices/graphics/@passwd"));
        assertEquals(EVIL, x.string("/domain/metadata/*/*[local-name()='labels']/*/@value"));
        assertEquals("0", x.string("count(//comment())"));
    }

    @Test
    void refusesCharactersXmlCannotCarry() {
        for (String bad : List.of("a\u0000b", "a\u0001b", "a\u001bb", "a\uffffb", "a\ud800b")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DomainXmlWriter.write(model(bad, "/p", "l")));
            assertEquals(true, e.getMessage().contains("U+"), e.getMessage());
        }
    }

    @Test
    void apiRefusesMarkupBeforeTheWriterSeesIt() {
        assertThrows(InvalidArgumentException.class, () -> VmSpec.builder("a<b").build());
        assertThrows(InvalidArgumentException.class, () -> VmSpec.builder("a").kernelBoot("/k", null, "quiet'><x").build());
        assertThrows(InvalidArgumentException.class, () -> VmSpec.builder("a").fileDisk("d", "/a\"b", null).build());
    }

    @Test
    void snapshotRequestEscapesToo() {
        XmlDoc x = XmlDoc.parse(SnapshotXml.request("s1", EVIL, "/tmp/m.mem"));
        assertEquals(EVIL, x.string("/domainsnapshot/description"));
        assertEquals("1", x.string("count(/domainsnapshot/*[local-name()='name'])"));
        assertEquals("external", x.string("/domainsnapshot/memory/@snapshot"));
    }

    @Test
    void readerRefusesDoctypes() {
        assertThrows(IllegalArgumentException.class, () -> XmlDoc.parse(
            "<!DOCTYPE d [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><domain>&x;</domain>"));
    }
}
