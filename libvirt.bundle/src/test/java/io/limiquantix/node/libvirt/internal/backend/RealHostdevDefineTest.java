package io.limiquantix.node.libvirt.internal.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.limiquantix.node.api.Feature;
import io.limiquantix.node.api.HypervisorCapabilities;
import io.limiquantix.node.api.NotFoundException;
import io.limiquantix.node.api.UsbRequest;
import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.api.VmState;
import io.limiquantix.node.libvirt.internal.domain.Specs;
import io.limiquantix.node.libvirt.internal.domain.XmlDoc;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Hostdev domains accepted by the real libvirt on qemu:///system: defined and undefined, never started
 * (this host has neither the USB device nor an IOMMU). The schema cannot tell whether libvirt keeps the
 * multi-function guest slot and places the other devices around it; libvirt's own parser can. Skips
 * loudly without libvirtd, unless LQ_REQUIRE_REAL=1.
 */
class RealHostdevDefineTest {
    private static LibvirtHypervisor hv;

    @BeforeAll
    static void connect() {
        String why = DaemonProbe.answers("qemu:///system", 10);
        LibvirtTestSupport.requireOrSkip(why == null, "libvirtd does not answer on qemu:///system: " + why);
        hv = LibvirtTestSupport.connected("qemu-hostdev", "qemu:///system", AccelDecision.Requested.AUTO);
    }

    @AfterAll
    static void close() {
        if (hv != null) hv.close();
    }

    @Test
    void usbByVendorProductDefinesAndUndefines() {
        HypervisorCapabilities caps = hv.capabilities();
        assertTrue(caps.has(Feature.USB_PASSTHROUGH), "a local qemu backend offers USB passthrough: " + caps.features());
        String id = UUID.randomUUID().toString();
        VmSpec spec = VmSpec.builder("lq-usb-" + id.substring(0, 8)).id(id).vcpus(1).memoryMiB(128)
            .usb(new UsbRequest("046d:c52b", 0, 0)).serialConsole(false).build();
        try {
            assertEquals(VmState.STOPPED, hv.createVm(spec).state());
            XmlDoc x = definedXml(id);
            String usb = "/domain/devices/hostdev[@type='usb']";
            assertEquals("0x046d", x.string(usb + "/source/vendor/@id"));
            assertEquals("0xc52b", x.string(usb + "/source/product/@id"));
            assertEquals("usb", x.string(usb + "/address/@type"), "libvirt put it on a USB port");
            assertTrue(x.exists("/domain/devices/controller[@type='usb' and @model='qemu-xhci']"));
        } finally {
            deleteQuietly(id);
        }
        assertThrows(NotFoundException.class, () -> hv.status(id));
        assertFalse(hv.listVms().stream().anyMatch(s -> s.id().equals(id)), "undefined VM still listed");
    }

    @Test
    void pciAndMdevHostdevsKeepTheirGuestSlots() {
        VmSpec spec = Specs.passthrough("lq-gpu-" + UUID.randomUUID().toString().substring(0, 8));
        String id = spec.id();
        try {
            hv.createVm(spec);
            XmlDoc x = definedXml(id);
            String gpu = "/domain/devices/hostdev[@type='pci'][source/address[@bus='0x01' and @function='0x0']]";
            String audio = "/domain/devices/hostdev[@type='pci'][source/address[@bus='0x01' and @function='0x1']]";
            assertEquals("no", x.string(gpu + "/@managed"));
            assertEquals("on", x.string(gpu + "/address/@multifunction"));
            String bus = x.string(gpu + "/address/@bus");
            assertEquals(bus, x.string(audio + "/address/@bus"));
            assertEquals("0x1", x.string(audio + "/address/@function"));
            assertEquals("2", x.string("count(/domain/devices/*/address[@type='pci' and @bus='" + bus + "'])"),
                "nothing else may be placed in the GPU's guest slot");
            String mdevBus = x.string("/domain/devices/hostdev[@type='mdev']/address/@bus");
            assertFalse(mdevBus.isEmpty() || mdevBus.equals(bus), "libvirt placed the mdev on its own port: " + mdevBus);
        } finally {
            deleteQuietly(id);
        }
        assertThrows(NotFoundException.class, () -> hv.status(id));
    }

    private static XmlDoc definedXml(String id) {
        return XmlDoc.parse(hv.connection().call("read XML", c -> Domains.lookup(c, id).getXMLDesc(0)));
    }

    private static void deleteQuietly(String id) {
        try {
            hv.deleteVm(id);
        } catch (NotFoundException ignored) {
            // never defined
        }
    }
}
