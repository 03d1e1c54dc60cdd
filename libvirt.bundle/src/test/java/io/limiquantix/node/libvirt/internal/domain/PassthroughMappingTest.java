package io.limiquantix.node.libvirt.internal.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.limiquantix.node.api.Accelerator;
import io.limiquantix.node.api.CpuSpec;
import io.limiquantix.node.api.Feature;
import io.limiquantix.node.api.GpuRequest;
import io.limiquantix.node.api.InvalidArgumentException;
import io.limiquantix.node.api.UnsupportedFeatureException;
import io.limiquantix.node.api.UsbRequest;
import io.limiquantix.node.api.VmSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Host devices, USB passthrough and nested virtualization in the domain XML, parsed back with XPath. */
class PassthroughMappingTest {
    private static final DomainMapper TCG = new DomainMapper(HostTarget.of(Accelerator.TCG, false));
    private static final DomainMapper KVM_INTEL = new DomainMapper(HostTarget.of(Accelerator.KVM, false, HostCpuVendor.INTEL));
    private static final DomainMapper KVM_AMD = new DomainMapper(HostTarget.of(Accelerator.KVM, false, HostCpuVendor.AMD));
    private static final DomainMapper KVM_UNKNOWN = new DomainMapper(HostTarget.of(Accelerator.KVM, false));
    private static final String PCI = "/domain/devices/hostdev[@type='pci']";

    private static XmlDoc xml(DomainMapper m, VmSpec spec) {
        return XmlDoc.parse(DomainXmlWriter.write(m.map(spec)));
    }

    private static String function(String bus, String slot, String fn) {
        return PCI + "[source/address[@bus='" + bus + "' and @slot='" + slot + "' and @function='" + fn + "']]";
    }

    @Test
    void pciFunctionsAreUnmanagedVfioWithHostAddresses() {
        XmlDoc x = xml(TCG, Specs.passthrough("gpu"));
        assertEquals("3", x.string("count(" + PCI + ")"));
        for (String hostdev : x.strings(PCI + "/@managed")) assertEquals("no", hostdev, "the provider bound it to vfio-pci");
        assertEquals("3", x.string("count(" + PCI + "[@mode='subsystem']/driver[@name='vfio'])"));
        assertEquals("0x0000", x.string(function("0x02", "0x00", "0x0") + "/source/address/@domain"));
        assertTrue(x.exists(function("0x01", "0x00", "0x0")));
        assertTrue(x.exists(function("0x01", "0x00", "0x1")));
        assertFalse(x.exists(PCI + "/rom"), "no ROM setting is known, so QEMU's default stays");
    }

    @Test
    void functionsOfOneSlotShareAGuestSlotWithTheirNumbers() {
        XmlDoc x = xml(TCG, Specs.passthrough("mf"));
        String gpu = function("0x01", "0x00", "0x0");
        String audio = function("0x01", "0x00", "0x1");
        assertEquals("on", x.string(gpu + "/address[@type='pci']/@multifunction"), "function 0 announces the others");
        assertFalse(x.exists(audio + "/address/@multifunction"));
        assertEquals(x.string(gpu + "/address/@bus"), x.string(audio + "/address/@bus"));
        assertEquals(x.string(gpu + "/address/@slot"), x.string(audio + "/address/@slot"));
        assertEquals("0x0", x.string(gpu + "/address/@function"));
        assertEquals("0x1", x.string(audio + "/address/@function"));
        // The guest bus is a root port that exists, named by its index.
        String bus = x.string(gpu + "/address/@bus");
        assertTrue(x.exists("/domain/devices/controller[@model='pcie-root-port' and @index='" + Integer.decode(bus) + "']"), bus);
        // Function 0 first in the document: libvirt wants the multifunction flag seen before the other functions.
        assertEquals("0x0", x.string("(" + PCI + "[address])[1]/source/address/@function"));
        assertFalse(x.exists(function("0x02", "0x00", "0x0") + "/address"), "a lone function is placed by libvirt");
    }

    @Test
    void mediatedDeviceByUuid() {
        XmlDoc x = xml(TCG, Specs.passthrough("mdev"));
        String mdev = "/domain/devices/hostdev[@type='mdev']";
        assertEquals("1", x.string("count(" + mdev + ")"));
        assertEquals("vfio-pci", x.string(mdev + "/@model"));
        assertEquals("off", x.string(mdev + "/@display"));
        assertEquals("subsystem", x.string(mdev + "/@mode"));
        assertEquals(Specs.MDEV_UUID, x.string(mdev + "/source/address/@uuid"));
    }

    @Test
    void usbByIdsAndByPositionOnAnXhciController() {
        XmlDoc x = xml(TCG, Specs.passthrough("usb"));
        String usb = "/domain/devices/hostdev[@type='usb']";
        assertEquals("2", x.string("count(" + usb + ")"));
        assertEquals("0x046d", x.string(usb + "[source/vendor]/source/vendor/@id"));
        assertEquals("0xc52b", x.string(usb + "[source/vendor]/source/product/@id"));
        assertEquals("1", x.string(usb + "[source/address]/source/address/@bus"));
        assertEquals("3", x.string(usb + "[source/address]/source/address/@device"));
        assertEquals("yes", x.string(usb + "[1]/@managed"));
        assertTrue(x.exists("/domain/devices/controller[@type='usb' and @model='qemu-xhci']"));
        assertFalse(x.exists("/domain/devices/input"), "USB passthrough alone brings no tablet");
    }

    @Test
    void everyGuestSlotGetsARootPortAndTheSparesStay() {
        XmlDoc x = xml(TCG, Specs.passthrough("ports"));
        // 1 virtio disk + xhci + GPU slot 01:00 + lone 02:00.0 + the mdev, then the spares
        assertEquals(String.valueOf(5 + DomainMapper.SPARE_ROOT_PORTS), x.string("count(/domain/devices/controller[@model='pcie-root-port'])"));
        VmSpec plain = VmSpec.builder("plain").id(Specs.newId()).build();
        assertFalse(xml(TCG, plain).exists("/domain/devices/controller[@type='usb']"), "no USB controller without USB");
    }

    @Test
    void gpusWithoutReservedDevicesAreRefusedNamingGpus() {
        VmSpec gpu = VmSpec.builder("g").id(Specs.newId()).gpu(new GpuRequest("0000:01:00.0", null, null, 1)).build();
        UnsupportedFeatureException e = assertThrows(UnsupportedFeatureException.class, () -> TCG.map(gpu));
        assertEquals(Feature.GPU_PASSTHROUGH, e.feature());
        assertTrue(e.getMessage().startsWith("gpus:"), e.getMessage());
        VmSpec vgpu = VmSpec.builder("v").id(Specs.newId()).gpu(new GpuRequest(null, null, "nvidia-230", 2)).build();
        assertEquals(Feature.MEDIATED_DEVICE, assertThrows(UnsupportedFeatureException.class, () -> TCG.map(vgpu)).feature());
    }

    @Test
    void aSlotWithoutFunctionZeroIsRefused() {
        VmSpec spec = VmSpec.builder("nf0").id(Specs.newId()).build()
            .withHostDevices(List.of(Specs.pci("0000:03:00.1", "040300"), Specs.pci("0000:03:00.2", "0c0330")));
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> TCG.map(spec));
        assertEquals("hostDevices", e.field());
        assertTrue(e.getMessage().contains("0000:03:00.1"), e.getMessage());
    }

    @Test
    void duplicatesAreRefusedNamingTheEntry() {
        VmSpec pci = VmSpec.builder("d1").id(Specs.newId()).build()
            .withHostDevices(List.of(Specs.pci("0000:03:00.0", "030000"), Specs.pci("0000:03:00.0", "030000")));
        assertEquals("hostDevices[1].address", assertThrows(InvalidArgumentException.class, () -> TCG.map(pci)).field());
        VmSpec mdev = VmSpec.builder("d2").id(Specs.newId()).build()
            .withHostDevices(List.of(Specs.mdev(Specs.MDEV_UUID), Specs.mdev(Specs.MDEV_UUID)));
        assertEquals("hostDevices[1].mdevUuid", assertThrows(InvalidArgumentException.class, () -> TCG.map(mdev)).field());
        VmSpec usb = VmSpec.builder("d3").id(Specs.newId()).usb(new UsbRequest(null, 2, 4)).usb(new UsbRequest(null, 2, 4)).build();
        assertEquals("usb[1]", assertThrows(InvalidArgumentException.class, () -> TCG.map(usb)).field());
    }

    @Test
    void nestedUnderKvmRequiresTheVendorsFlag() {
        XmlDoc intel = xml(KVM_INTEL, Specs.nested("ni", CpuSpec.Mode.DEFAULT));
        assertEquals("host-model", intel.string("/domain/cpu/@mode"));
        assertEquals("require", intel.string("/domain/cpu/feature[@name='vmx']/@policy"));
        assertFalse(intel.exists("/domain/cpu/feature[@name='svm']"));
        XmlDoc amd = xml(KVM_AMD, Specs.nested("na", CpuSpec.Mode.DEFAULT));
        assertEquals("require", amd.string("/domain/cpu/feature[@name='svm']/@policy"));
        XmlDoc custom = xml(KVM_AMD, Specs.nested("nc", CpuSpec.Mode.CUSTOM));
        assertEquals("custom", custom.string("/domain/cpu/@mode"));
        assertEquals("EPYC", custom.string("/domain/cpu/model"));
        assertEquals("require", custom.string("/domain/cpu/feature[@name='svm']/@policy"));
        assertEquals("host-passthrough", xml(KVM_INTEL, Specs.nested("np", CpuSpec.Mode.HOST_PASSTHROUGH)).string("/domain/cpu/@mode"));
        assertFalse(xml(KVM_INTEL, Specs.linuxKernelBoot("flat")).exists("/domain/cpu/feature"), "no flag without nesting");
    }

    @Test
    void nestedWithAnUnknownVendor() {
        XmlDoc x = xml(KVM_UNKNOWN, Specs.nested("nu", CpuSpec.Mode.DEFAULT));
        assertEquals("host-passthrough", x.string("/domain/cpu/@mode"), "the host's own flag goes through unnamed");
        assertFalse(x.exists("/domain/cpu/feature"));
        assertEquals(Feature.NESTED_VIRTUALIZATION, assertThrows(UnsupportedFeatureException.class,
            () -> KVM_UNKNOWN.map(Specs.nested("nh", CpuSpec.Mode.HOST_MODEL))).feature());
    }

    @Test
    void nestedIsRefusedUnderTcg() {
        UnsupportedFeatureException e = assertThrows(UnsupportedFeatureException.class,
            () -> TCG.map(Specs.nested("nt", CpuSpec.Mode.DEFAULT)));
        assertEquals(Feature.NESTED_VIRTUALIZATION, e.feature());
        assertTrue(e.getMessage().startsWith("nestedVirtualization:"), e.getMessage());
        assertThrows(UnsupportedFeatureException.class,
            () -> new DomainMapper(HostTarget.of(Accelerator.NONE, true)).map(Specs.nested("nd", CpuSpec.Mode.DEFAULT)));
    }
}
