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
            List.of(disk), List.of(), new DomainModel.Graphics("vnc", "127.0.0.1", label), null, new DomainModel.Serial(path), m.devices(),
            List.of());
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

    private static DomainModel withHostdevs(List<DomainModel.Hostdev> hostdevs) {
        DomainModel m = new DomainMapper(HostTarget.of(Accelerator.TCG, false)).map(Specs.linuxKernelBoot("hd"));
        return new DomainModel(m.type(), m.name(), m.uuid(), m.metadata(), m.memoryKiB(), m.cpu(), m.os(), m.features(), m.clock(),
            m.disks(), m.nics(), m.graphics(), m.videoModel(), m.serial(), m.devices(), hostdevs);
    }

    @Test
    void romBarAndHexAddresses() {
        DomainModel.PciAddress a = DomainModel.PciAddress.parse("0001:af:1f.7");
        assertEquals(new DomainModel.PciAddress(1, 0xaf, 0x1f, 7), a);
        XmlDoc x = XmlDoc.parse(DomainXmlWriter.write(withHostdevs(List.of(
            new DomainModel.PciHostdev(a, true, null, false),
            new DomainModel.PciHostdev(DomainModel.PciAddress.parse("0000:01:00.0"), false, null, false)))));
        String first = "/domain/devices/hostdev[1]";
        assertEquals("0x0001", x.string(first + "/source/address/@domain"));
        assertEquals("0xaf", x.string(first + "/source/address/@bus"));
        assertEquals("0x1f", x.string(first + "/source/address/@slot"));
        assertEquals("0x7", x.string(first + "/source/address/@function"));
        assertEquals("on", x.string(first + "/rom/@bar"));
        assertEquals("off", x.string("/domain/devices/hostdev[2]/rom/@bar"));
    }

    @Test
    void hostdevValuesStayText() {
        XmlDoc x = XmlDoc.parse(DomainXmlWriter.write(withHostdevs(List.of(new DomainModel.MdevHostdev(EVIL, false),
            new DomainModel.UsbHostdev(EVIL, "0x0001", 0, 0)))));
        assertEquals(EVIL, x.string("/domain/devices/hostdev[@type='mdev']/source/address/@uuid"));
        assertEquals(EVIL, x.string("/domain/devices/hostdev[@type='usb']/source/vendor/@id"));
        assertEquals("2", x.string("count(/domain/devices/hostdev)"));
        assertEquals("0", x.string("count(/domain/devices/disk)"));
    }

    @Test
    void hostdevModelRefusesImpossibleShapes() {
        DomainModel.PciAddress f1 = new DomainModel.PciAddress(0, 1, 0, 1);
        assertThrows(IllegalArgumentException.class, () -> new DomainModel.PciHostdev(f1, null, f1, true));
        assertThrows(IllegalArgumentException.class, () -> new DomainModel.PciAddress(0, 0, 0x20, 0));
        assertThrows(IllegalArgumentException.class, () -> new DomainModel.UsbHostdev("0x046d", "0xc52b", 1, 3));
        assertThrows(IllegalArgumentException.class, () -> new DomainModel.UsbHostdev(null, null, 1, 0));
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
