package io.limiquantix.node.libvirt.internal.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@link KvmSmm} against the authority: what QEMU itself does with {@code smm=on} under this host's KVM. */
class KvmSmmTest {
    @Test
    void missingDeviceMeansNoSmm() {
        assertFalse(KvmSmm.supported(Path.of("/nonexistent/kvm")));
    }

    @Test
    void agreesWithQemuOnThisHostsKvm() throws Exception {
        LibvirtTestSupport.requireOrSkip(Files.exists(KvmProbe.DEV_KVM) && Files.isExecutable(KvmProbe.QEMU),
            "/dev/kvm or " + KvmProbe.QEMU + " is missing");
        boolean ioctl = KvmSmm.supported(KvmProbe.DEV_KVM);
        // QEMU stopped before the first instruction (-S): with SMM it stays up; without, it exits at machine set-up
        // with "System Management Mode not supported by this hypervisor".
        Path log = Files.createTempFile("lq-smm", ".log");
        Process p = new ProcessBuilder(List.of(KvmProbe.QEMU.toString(), "-accel", "kvm", "-machine", "q35,smm=on",
            "-nodefaults", "-display", "none", "-S")).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            boolean exited = p.waitFor(15, TimeUnit.SECONDS);
            String out = Files.readString(log);
            System.out.println("KVM_CAP_X86_SMM says " + ioctl + "; QEMU with smm=on " + (exited ? "exited: " + out.trim() : "is running"));
            if (exited) assertEquals(false, ioctl, "QEMU refused SMM under KVM but the ioctl said yes: " + out);
            else assertEquals(true, ioctl, "QEMU runs an SMM machine under KVM but the ioctl said no");
            if (exited) assertEquals(true, out.contains("System Management Mode"), "QEMU exited for another reason: " + out);
        } finally {
            p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            Files.deleteIfExists(log);
        }
    }
}
