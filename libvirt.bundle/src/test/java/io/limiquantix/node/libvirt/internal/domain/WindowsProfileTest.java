package io.limiquantix.node.libvirt.internal.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.limiquantix.node.api.Accelerator;
import io.limiquantix.node.api.Firmware;
import io.limiquantix.node.api.GraphicsSpec;
import io.limiquantix.node.api.GuestOs;
import io.limiquantix.node.api.VmSpec;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The Windows profile per variant and host: what VirtInstallComparisonTest compares, checked without virt-install. */
class WindowsProfileTest {
    private static XmlDoc xml(HostTarget host, String variant, Firmware firmware) {
        VmSpec spec = VmSpec.builder("w-" + variant).id(Specs.newId()).vcpus(2).memoryMiB(4096).os(GuestOs.windows(variant))
            .firmware(firmware).graphics(GraphicsSpec.vnc()).build();
        return XmlDoc.parse(DomainXmlWriter.write(new DomainMapper(host).map(spec)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"win2k16", "win2k19", "win2k22", "win10", "win11"})
    void everyVariant(String variant) {
        boolean win11 = variant.equals("win11");
        XmlDoc x = xml(HostTarget.of(Accelerator.TCG, false), variant, win11 ? Firmware.UEFI_SECURE_BOOT : Firmware.BIOS);
        String id = win11 ? "11" : variant.replace("win", "");
        assertEquals("http://microsoft.com/win/" + id, x.string("/domain/metadata/*[local-name()='libosinfo']/*[local-name()='os']/@id"));
        assertEquals("no", x.string("/domain/pm/suspend-to-mem/@enabled"));
        assertEquals("no", x.string("/domain/pm/suspend-to-disk/@enabled"));
        assertEquals("localtime", x.string("/domain/clock/@offset"));
        assertEquals("15", x.string("/domain/devices/controller[@type='usb']/@ports"));
        assertTrue(x.exists("/domain/devices/input[@type='tablet' and @bus='usb']"));
        assertEquals(win11 ? "bochs" : "vga", x.string("/domain/devices/video/model/@type"), "bochs-display under UEFI, VGA under BIOS");
        assertEquals(win11, x.exists("/domain/devices/tpm"));
    }

    @Test
    void hyperVFollowsTheHost() {
        XmlDoc tcg = xml(HostTarget.of(Accelerator.TCG, false), "win2k22", Firmware.BIOS);
        for (String on : new String[] {"relaxed", "vapic", "spinlocks", "runtime", "reset", "frequencies"})
            assertEquals("on", tcg.string("/domain/features/hyperv/" + on + "/@state"), on);
        for (String off : new String[] {"vpindex", "synic", "stimer", "tlbflush", "ipi"})
            assertFalse(tcg.exists("/domain/features/hyperv/" + off), off + " under TCG");
        XmlDoc kvm = xml(HostTarget.of(Accelerator.KVM, false), "win2k22", Firmware.BIOS);
        for (String on : new String[] {"vpindex", "synic", "stimer", "tlbflush", "ipi"})
            assertEquals("on", kvm.string("/domain/features/hyperv/" + on + "/@state"), on + " under KVM");
        // a KVM host whose QEMU refused vpindex (old kernel): the probe's answer wins
        XmlDoc oldKvm = xml(HostTarget.of(Accelerator.KVM, false).withHyperV(Set.of("relaxed", "vapic", "spinlocks", "synic", "time")),
            "win2k22", Firmware.BIOS);
        assertFalse(oldKvm.exists("/domain/features/hyperv/synic"), "synic needs vpindex");
        assertTrue(oldKvm.exists("/domain/clock/timer[@name='hypervclock']"));
        XmlDoc noClock = xml(HostTarget.of(Accelerator.KVM, false).withHyperV(Set.of("relaxed")), "win10", Firmware.BIOS);
        assertFalse(noClock.exists("/domain/clock/timer[@name='hypervclock']"), "hv-time refused: no Hyper-V clock");
        assertFalse(noClock.exists("/domain/features/hyperv/vapic"));
    }

    @Test
    void unknownVariantGetsNoLibosinfoId() {
        XmlDoc x = xml(HostTarget.of(Accelerator.TCG, false), "winxp", Firmware.BIOS);
        assertFalse(x.exists("/domain/metadata/*[local-name()='libosinfo']"));
        assertTrue(x.exists("/domain/features/hyperv"));
    }
}
