package io.limiquantix.node.gpu.internal;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hostdev XML shapes the README promises the libvirt backend are valid libvirt domain XML: each
 * {@code xml} block of the README is put in a minimal q35 domain and checked with libvirt's own schema
 * ({@code virt-xml-validate}). Skipped loudly without libvirt-clients; fails with {@code LQ_REQUIRE_REAL=1}.
 */
class HostdevShapesTest {
    private static final Pattern XML_BLOCK = Pattern.compile("```xml\\n(.*?)```", Pattern.DOTALL);

    @TempDir
    Path tmp;

    @Test
    void everyHostdevShapeInTheReadmeValidatesAgainstLibvirtsSchema() throws Exception {
        String readme = Files.readString(Path.of("README.md"), StandardCharsets.UTF_8);
        List<String> blocks = new ArrayList<>();
        Matcher m = XML_BLOCK.matcher(readme);
        while (m.find()) blocks.add(m.group(1));
        assertEquals(3, blocks.size(), "the README's hostdev shapes: PCI unmanaged, PCI managed, mdev");
        for (String b : blocks) assertTrue(b.contains("<hostdev "), b);

        String domain = "<domain type='kvm'>\n  <name>hostdev-shapes</name>\n  <memory unit='MiB'>1024</memory>\n"
            + "  <vcpu>2</vcpu>\n  <os><type arch='x86_64' machine='q35'>hvm</type></os>\n  <devices>\n"
            + "    <controller type='pci' index='0' model='pcie-root'/>\n"
            + "    <controller type='pci' index='6' model='pcie-root-port'/>\n"
            + String.join("", blocks) + "  </devices>\n</domain>\n";
        Path file = tmp.resolve("domain.xml");
        Files.writeString(file, domain);

        Process p;
        try {
            p = new ProcessBuilder("virt-xml-validate", file.toString(), "domain").redirectErrorStream(true).start();
        } catch (IOException e) {
            String message = "!!! virt-xml-validate is not installed (Debian: libvirt-clients); the hostdev shapes in"
                + " README.md are NOT validated. Set LQ_REQUIRE_REAL=1 to make this a failure. !!!";
            if ("1".equals(System.getenv("LQ_REQUIRE_REAL"))) fail(message);
            System.err.println(message);
            Assumptions.abort(message);
            return;
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "virt-xml-validate did not finish");
        assertEquals(0, p.exitValue(), "virt-xml-validate refused the README's hostdev shapes:\n" + out + "\n" + domain);
    }
}
