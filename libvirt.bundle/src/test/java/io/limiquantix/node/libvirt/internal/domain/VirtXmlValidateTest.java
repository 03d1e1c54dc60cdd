package io.limiquantix.node.libvirt.internal.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.limiquantix.node.api.Accelerator;
import io.limiquantix.node.api.CpuSpec;
import io.limiquantix.node.api.VmSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every profile's XML must pass libvirt's own schema. virt-xml-validate (Debian libvirt-clients) is part
 * of the test toolchain: when it is missing the test fails rather than skipping, so a green build always
 * means the XML was validated.
 */
class VirtXmlValidateTest {
    private static final Path TOOL = Path.of("/usr/bin/virt-xml-validate");
    private static final Path XMLLINT = Path.of("/usr/bin/xmllint");

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"kernel-tcg", "full-tcg", "windows-tcg", "kernel-kvm", "full-kvm", "windows-kvm", "kernel-test",
        "passthrough-tcg", "passthrough-kvm", "nested-kvm", "nestedcustom-kvm", "nestedunknown-kvm"})
    void validates(String which) throws IOException, InterruptedException {
        String[] parts = which.split("-");
        VmSpec spec = switch (parts[0]) {
            case "kernel" -> Specs.linuxKernelBoot("v-" + which);
            case "full" -> Specs.linuxFull("v-" + which);
            case "passthrough" -> Specs.passthrough("v-" + which);
            case "nested" -> Specs.nested("v-" + which, CpuSpec.Mode.DEFAULT);
            case "nestedcustom" -> Specs.nested("v-" + which, CpuSpec.Mode.CUSTOM);
            case "nestedunknown" -> Specs.nested("v-" + which, CpuSpec.Mode.DEFAULT);
            default -> Specs.windowsSecureBoot("v-" + which);
        };
        HostTarget host = switch (parts[1]) {
            case "kvm" -> HostTarget.of(Accelerator.KVM, false,
                parts[0].equals("nestedunknown") ? HostCpuVendor.UNKNOWN : HostCpuVendor.INTEL);
            case "test" -> HostTarget.of(Accelerator.NONE, true);
            default -> HostTarget.of(Accelerator.TCG, false);
        };
        assertValid(which, DomainXmlWriter.write(new DomainMapper(host).map(spec)));
    }

    /** ROM settings are not produced from a spec yet (HostDevice has no field), but the writer can emit them. */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void validatesRomBar(boolean bar) throws IOException, InterruptedException {
        DomainModel m = new DomainMapper(HostTarget.of(Accelerator.KVM, false, HostCpuVendor.AMD)).map(Specs.passthrough("v-rom"));
        List<DomainModel.Hostdev> withRom = new ArrayList<>();
        for (DomainModel.Hostdev h : m.hostdevs())
            withRom.add(h instanceof DomainModel.PciHostdev p ? new DomainModel.PciHostdev(p.source(), bar, p.guestAddress(), p.multifunction()) : h);
        DomainModel rom = new DomainModel(m.type(), m.name(), m.uuid(), m.metadata(), m.memoryKiB(), m.cpu(), m.os(), m.features(),
            m.clock(), m.disks(), m.nics(), m.graphics(), m.videoModel(), m.serial(), m.devices(), withRom);
        String xml = DomainXmlWriter.write(rom);
        assertTrue(xml.contains("<rom bar=\"" + (bar ? "on" : "off") + "\"/>"), xml);
        assertValid("rom-" + bar, xml);
    }

    private void assertValid(String which, String xml) throws IOException, InterruptedException {
        assertTrue(Files.isExecutable(TOOL), TOOL + " is missing: install libvirt-clients (the test toolchain needs it)");
        assertTrue(Files.isExecutable(XMLLINT), XMLLINT + " is missing: virt-xml-validate runs it; install libxml2-utils");
        Path file = dir.resolve(which + ".xml");
        Files.writeString(file, xml, StandardCharsets.UTF_8);
        Process p = new ProcessBuilder(TOOL.toString(), file.toString(), "domain").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "virt-xml-validate did not finish");
        assertEquals(0, p.exitValue(), "virt-xml-validate refused " + which + ":\n" + out + "\n" + Files.readString(file));
    }
}
