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
 * checks that delete removes the VM's NVRAM file. No guest OS is needed: the firmware alone runs.
 */
class RealQemuWindowsProfileTest {
    @Test
    void secureBootTpmGuestStartsAndDeletesCleanly() throws Exception {
        String why = DaemonProbe.answers("qemu:///system", 10);
        LibvirtTestSupport.requireOrSkip(why == null, "libvirtd does not answer on qemu:///system: " + why);
        LibvirtHypervisor hv = LibvirtTestSupport.connected("qemu-win", "qemu:///system", AccelDecision.Requested.AUTO);
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
            String nvram = xml.string("/domain/os/nvram");
            assertTrue(Files.exists(Path.of(nvram)), "NVRAM file " + nvram);
            assertTrue(xml.exists("/domain/devices/tpm/backend[@type='emulator']"));
            assertTrue(xml.exists("/domain/features/hyperv/relaxed[@state='on']"));
            ConsoleInfo console = hv.consoleInfo(id);
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(console.host(), console.port()), 5000);
                s.setSoTimeout(5000);
                InputStream in = s.getInputStream();
                assertTrue(new String(in.readNBytes(4), StandardCharsets.US_ASCII).startsWith("RFB "));
            }
            hv.forceStopVm(id);
            hv.deleteVm(id);
            assertThrows(NotFoundException.class, () -> hv.status(id));
            assertFalse(Files.exists(Path.of(nvram)), "delete must remove the NVRAM file " + nvram);
        } finally {
            try {
                hv.forceStopVm(id);
            } catch (RuntimeException ignored) {
                // not running
            }
            try {
                hv.deleteVm(id);
            } catch (RuntimeException ignored) {
                // gone
            }
            hv.close();
        }
    }
}
