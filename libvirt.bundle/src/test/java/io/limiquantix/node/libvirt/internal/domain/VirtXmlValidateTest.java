package io.limiquantix.node.libvirt.internal.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.limiquantix.node.api.Accelerator;
import io.limiquantix.node.api.VmSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
    @ValueSource(strings = {"kernel-tcg", "full-tcg", "windows-tcg", "kernel-kvm", "full-kvm", "windows-kvm", "kernel-test"})
    void validates(String which) throws IOException, InterruptedException {
        assertTrue(Files.isExecutable(TOOL), TOOL + " is missing: install libvirt-clients (the test toolchain needs it)");
        assertTrue(Files.isExecutable(XMLLINT), XMLLINT + " is missing: virt-xml-validate runs it; install libxml2-utils");
        String[] parts = which.split("-");
        VmSpec spec = switch (parts[0]) {
            case "kernel" -> Specs.linuxKernelBoot("v-" + which);
            case "full" -> Specs.linuxFull("v-" + which);
            default -> Specs.windowsSecureBoot("v-" + which);
        };
        HostTarget host = switch (parts[1]) {
            case "kvm" -> HostTarget.of(Accelerator.KVM, false);
            case "test" -> HostTarget.of(Accelerator.NONE, true);
            default -> HostTarget.of(Accelerator.TCG, false);
        };
        Path file = dir.resolve(which + ".xml");
        Files.writeString(file, DomainXmlWriter.write(new DomainMapper(host).map(spec)), StandardCharsets.UTF_8);
        Process p = new ProcessBuilder(TOOL.toString(), file.toString(), "domain").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "virt-xml-validate did not finish");
        assertEquals(0, p.exitValue(), "virt-xml-validate refused " + which + ":\n" + out + "\n" + Files.readString(file));
    }
}
