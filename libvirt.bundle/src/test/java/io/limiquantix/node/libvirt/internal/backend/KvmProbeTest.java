package io.limiquantix.node.libvirt.internal.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.limiquantix.node.api.Accelerator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The probe's guest program is checked on its own (under TCG, where it must succeed), so that a probe
 * answering "no KVM" cannot be a broken probe in disguise. The KVM answer itself is machine-specific:
 * the test asserts that the decision follows the measured outcome and explains itself.
 */
class KvmProbeTest {
    @TempDir
    Path dir;

    @Test
    void bootSectorLayout() {
        byte[] sector = KvmProbe.bootSector();
        assertEquals(512, sector.length);
        assertEquals(0x55, sector[510] & 0xff);
        assertEquals(0xaa, sector[511] & 0xff);
        // the handler address written into IVT[8] must be where the handler bytes are (push ax)
        int handler = (sector[14] & 0xff) | (sector[15] & 0xff) << 8;
        assertEquals(0x7c1a, handler);
        assertEquals(0x50, sector[handler - 0x7c00] & 0xff);
        // the counter the handler increments is the zero word right after the code
        assertEquals(0x7c31, (sector[29] & 0xff) | (sector[30] & 0xff) << 8);
        assertEquals(0x31, KvmProbe.CODE.length - 2);
        assertEquals(99, KvmProbe.EXIT_OK);
    }

    @Test
    void theProbeGuestWorksUnderTcg() throws Exception {
        LibvirtTestSupport.requireOrSkip(Files.isExecutable(KvmProbe.QEMU), KvmProbe.QEMU + " is not installed");
        Path image = dir.resolve("probe.img");
        Files.write(image, KvmProbe.bootSector());
        Process p = new ProcessBuilder(List.of(KvmProbe.QEMU.toString(), "-accel", "tcg", "-nodefaults", "-display", "none",
            "-no-reboot", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
            "-drive", "format=raw,file=" + image + ",if=floppy", "-boot", "a")).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("the probe guest did not finish under TCG within 60 s");
        }
        assertEquals(KvmProbe.EXIT_OK, p.exitValue(), "the probe guest must take a timer interrupt and exit with 99 under TCG");
    }

    @Test
    void autoDecisionMatchesTheMeasuredOutcome() {
        KvmProbe.Result measured = KvmProbe.result();
        assertSame(measured, KvmProbe.result(), "the probe runs once per process");
        assertFalse(measured.detail().isBlank(), "the probe always says why");
        AccelDecision auto = AccelDecision.decide(AccelDecision.Requested.AUTO, true, KvmProbe::result);
        assertEquals(measured.runsGuests() ? Accelerator.KVM : Accelerator.TCG, auto.accelerator());
        assertTrue(auto.reason().contains(measured.detail()), auto.reason());
        System.out.println("KVM probe on this machine: " + measured + " -> " + auto);
        if (!Files.exists(KvmProbe.DEV_KVM)) assertFalse(measured.runsGuests());
    }

    /** /sys/module as recorded on two hosts: this project's CI host (kvm_pvm) and an ordinary Intel host. */
    @Test
    void kvmWithoutVirtualizationExtensionsIsNotUsed(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path pvm = dir.resolve("pvm-host");
        for (String m : List.of("kvm", "kvm_pvm", "vfio", "tun")) Files.createDirectories(pvm.resolve(m).resolve("parameters"));
        String why = KvmProbe.withoutHardwareSupport(pvm);
        assertTrue(why != null && why.contains("kvm_pvm") && why.contains("kvm_intel or kvm_amd"), String.valueOf(why));
        assertEquals(List.of("kvm_pvm"), KvmProbe.kvmModules(pvm));

        Path intel = dir.resolve("intel-host");
        for (String m : List.of("kvm", "kvm_intel", "irqbypass")) Files.createDirectories(intel.resolve(m).resolve("parameters"));
        assertEquals(null, KvmProbe.withoutHardwareSupport(intel));
        assertEquals(null, KvmProbe.withoutHardwareSupport(dir.resolve("no-sysfs")), "nothing concluded from an unreadable tree");
    }

    @Test
    void thisHostsModulesDecideBeforeAnyGuestRuns() {
        String why = KvmProbe.withoutHardwareSupport(KvmProbe.SYS_MODULE);
        System.out.println("KVM modules here: " + KvmProbe.kvmModules(KvmProbe.SYS_MODULE) + "; " + (why == null ? "hardware-backed or unknown" : why));
        if (why != null) assertFalse(KvmProbe.result().runsGuests(), "a software-only KVM must never be chosen");
    }
}
