package io.limiquantix.node.libvirt.internal.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.limiquantix.node.api.ConsoleInfo;
import io.limiquantix.node.api.Feature;
import io.limiquantix.node.api.Firmware;
import io.limiquantix.node.api.GraphicsSpec;
import io.limiquantix.node.api.GuestOs;
import io.limiquantix.node.api.HypervisorCapabilities;
import io.limiquantix.node.api.NotFoundException;
import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.api.VmState;
import io.limiquantix.node.libvirt.internal.domain.XmlDoc;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The Windows profile with Secure Boot and a TPM, accepted by the real libvirt and started by QEMU: the
 * schema check cannot tell whether libvirt finds enrolled-keys firmware, swtpm and SMM together. Also
 * checks that delete removes the VM's NVRAM file. No guest OS is needed: the firmware alone runs. Checks that the
 * VM has no disk, VNC answers {@code RFB 003.008}, a swtpm process serves it, Secure Boot is on (Secure Boot
 * OVMF, SMM, enrolled Microsoft keys in its NVRAM) and every Hyper-V enlightenment the profile chose for
 * this host was accepted.
 */
class RealQemuWindowsProfileTest {
    private static boolean contains(byte[] haystack, String needle) {
        byte[] n = needle.getBytes(StandardCharsets.US_ASCII);
        outer:
        for (int i = 0; i + n.length <= haystack.length; i++) {
            for (int j = 0; j < n.length; j++) if (haystack[i + j] != n[j]) continue outer;
            return true;
        }
        return false;
    }

    /** A swtpm process whose command line names this VM (libvirt puts the VM's UUID in its state directory). */
    private static boolean swtpmRunsFor(String id) throws java.io.IOException {
        try (var procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                String cmd;
                try {
                    cmd = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8).replace('\0', ' ');
                } catch (java.io.IOException e) {
                    continue; // gone meanwhile
                }
                if (cmd.contains("swtpm") && cmd.contains(id)) return true;
            }
        }
        return false;
    }

    @Test
    void secureBootTpmGuestStartsAndDeletesCleanly() throws Exception {
        String why = DaemonProbe.answers("qemu:///system", 10);
        LibvirtTestSupport.requireOrSkip(why == null, "libvirtd does not answer on qemu:///system: " + why);
        // Secure Boot firmware needs SMM; a nested KVM may lack it (KvmSmm), and then the backend must not offer
        // Secure Boot on KVM. The guest is then run under TCG, which always emulates SMM.
        LibvirtHypervisor auto = LibvirtTestSupport.connected("qemu-win", "qemu:///system", AccelDecision.Requested.AUTO);
        if (auto.capabilities().accelerator() == io.limiquantix.node.api.Accelerator.KVM && !KvmSmm.supported(KvmProbe.DEV_KVM)) {
            assertFalse(auto.capabilities().has(Feature.SECURE_BOOT), "Secure Boot offered on a KVM without SMM");
            auto.close();
            System.out.println("this host's KVM does not emulate SMM: the Secure Boot guest runs under TCG");
            auto = LibvirtTestSupport.connected("qemu-win-tcg", "qemu:///system", AccelDecision.Requested.TCG);
        }
        LibvirtHypervisor hv = auto;
        String id = UUID.randomUUID().toString();
        String name = "lq-win-" + id.substring(0, 8);
        try {
            HypervisorCapabilities caps = hv.capabilities();
            LibvirtTestSupport.requireOrSkip(caps.has(Feature.SECURE_BOOT) && caps.has(Feature.TPM),
                "this host lacks OVMF Secure Boot firmware or swtpm (capabilities: " + caps.features() + ")");
            VmSpec spec = VmSpec.builder(name).id(id).vcpus(1).memoryMiB(512).os(GuestOs.windows("win11"))
                .firmware(Firmware.UEFI_SECURE_BOOT).graphics(GraphicsSpec.vnc()).serialConsole(false).build();
            hv.createVm(spec);
            hv.startVm(id);
            assertEquals(VmState.RUNNING, hv.status(id).state());
            String live = hv.connection().call("read XML", c -> Domains.lookup(c, id).getXMLDesc(0));
            XmlDoc xml = XmlDoc.parse(live);
            assertEquals("yes", xml.string("/domain/os/loader/@secure"), "libvirt picked a Secure Boot firmware");
            // Debian's firmware descriptors name OVMF_CODE_4M.ms.fd (Secure Boot build, Microsoft keys) or .secboot.fd
            assertTrue(xml.string("/domain/os/loader").matches(".*\\.(ms|secboot)\\.fd"), "Secure Boot OVMF: " + xml.string("/domain/os/loader"));
            assertEquals("on", xml.string("/domain/features/smm/@state"), "Secure Boot OVMF needs SMM");
            String nvram = xml.string("/domain/os/nvram");
            assertTrue(Files.exists(Path.of(nvram)), "NVRAM file " + nvram);
            // Secure Boot is on when keys are enrolled: the per-VM variable store starts from the template with
            // Microsoft's KEK and db (without a PK/KEK, OVMF boots in setup mode, i.e. without Secure Boot).
            assertTrue(xml.string("/domain/os/nvram/@template").endsWith(".ms.fd"), "NVRAM template with enrolled keys: "
                + xml.string("/domain/os/nvram/@template"));
            assertTrue(contains(Files.readAllBytes(Path.of(nvram)), "Microsoft Corporation KEK CA"),
                "the VM's NVRAM " + nvram + " holds the enrolled KEK");
            assertTrue(xml.exists("/domain/devices/tpm[@model='tpm-crb']/backend[@type='emulator' and @version='2.0']"));
            assertTrue(swtpmRunsFor(id), "a swtpm process serves the VM's TPM");
            assertTrue(xml.exists("/domain/features/hyperv/relaxed[@state='on']"));
            // everything the profile turned on was accepted by libvirt and QEMU (the start above proves it)
            for (String more : io.limiquantix.node.libvirt.internal.domain.HyperVFeatures.usable(
                HyperVProbe.accepted(hv.capabilities().accelerator())))
                assertTrue(xml.exists("/domain/features/hyperv/" + more + "[@state='on']"), "hyperv " + more + " in\n" + live);
            assertEquals("", xml.string("/domain/devices/disk/source/@file"), "no OS disk: the firmware alone runs");
            ConsoleInfo console = hv.consoleInfo(id);
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(console.host(), console.port()), 5000);
                s.setSoTimeout(5000);
                InputStream in = s.getInputStream();
                assertEquals("RFB 003.008\n", new String(in.readNBytes(12), StandardCharsets.US_ASCII), "VNC server banner");
            }
            hv.forceStopVm(id);
            hv.deleteVm(id);
            assertThrows(NotFoundException.class, () -> hv.status(id));
            assertFalse(Files.exists(Path.of(nvram)), "delete must remove the NVRAM file " + nvram);
        } finally {
            LibvirtTestSupport.removeQuietly(hv, id);
            hv.close();
        }
    }
}
