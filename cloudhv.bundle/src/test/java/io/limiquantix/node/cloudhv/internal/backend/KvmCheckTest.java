package io.limiquantix.node.cloudhv.internal.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The KVM decision on made-up measurements: which check runs, and what each outcome means. */
class KvmCheckTest {
    @TempDir Path tmp;
    private final List<Path> runs = new ArrayList<>();

    private Function<Path, KvmGuestRun.Outcome> measured(KvmGuestRun.Outcome o) {
        return q -> {
            runs.add(q);
            return o;
        };
    }

    private static final Function<Path, KvmGuestRun.Outcome> MUST_NOT_RUN = q -> fail("no guest may run: " + q);

    private Path devKvm() throws Exception {
        return Files.createFile(tmp.resolve("kvm"));
    }

    @Test
    void withoutDevKvmNothingElseIsTried() {
        KvmCheck.Verdict v = KvmCheck.decide(tmp.resolve("missing"), tmp.resolve("no-sys-module"), Path.of("/usr/bin/qemu-system-x86_64"), MUST_NOT_RUN);
        assertFalse(v.usable());
        assertTrue(v.reason().contains("does not exist"), v.reason());
    }

    @Test
    void withoutQemuOnlyTheDeviceIsCheckedAndTheVerdictSaysSo() throws Exception {
        KvmCheck.Verdict v = KvmCheck.decide(devKvm(), tmp.resolve("no-sys-module"), null, MUST_NOT_RUN);
        assertTrue(v.usable());
        assertTrue(v.how().contains("no test guest was run"), v.how());
        assertTrue(v.how().contains("not installed"), v.how());
    }

    @Test
    void aGuestThatFinishesInTimeMakesKvmUsable() throws Exception {
        Path qemu = tmp.resolve("qemu");
        KvmCheck.Verdict v = KvmCheck.decide(devKvm(), tmp.resolve("no-sys-module"), qemu,
            measured(new KvmGuestRun.Outcome(KvmGuestRun.Ending.EXITED, KvmGuestRun.EXIT_PASSED, Duration.ofMillis(3100), "")));
        assertEquals(List.of(qemu), runs);
        assertTrue(v.usable());
        assertEquals(KvmCheck.GUEST_RUN, v.how());
        assertTrue(v.reason().contains("3.1 s"), v.reason());
    }

    @Test
    void aGuestStillRunningAtTheBoundMeansKvmIsNotUsable() throws Exception {
        KvmCheck.Verdict v = KvmCheck.decide(devKvm(), tmp.resolve("no-sys-module"), tmp.resolve("qemu"),
            measured(new KvmGuestRun.Outcome(KvmGuestRun.Ending.TIMED_OUT, -1, KvmGuestRun.BOUND, "")));
        assertFalse(v.usable());
        assertEquals(KvmCheck.GUEST_RUN, v.how());
        assertTrue(v.reason().contains("does not run them at a usable speed"), v.reason());
    }

    @Test
    void aGuestEndingAnyOtherWayMeansKvmIsNotUsableAndQemuIsQuoted() throws Exception {
        KvmCheck.Verdict v = KvmCheck.decide(devKvm(), tmp.resolve("no-sys-module"), tmp.resolve("qemu"), measured(new KvmGuestRun.Outcome(
            KvmGuestRun.Ending.EXITED, 1, Duration.ofMillis(200), "failed to initialize kvm: Permission denied")));
        assertFalse(v.usable());
        assertTrue(v.reason().contains("status 1"), v.reason());
        assertTrue(v.reason().contains("Permission denied"), v.reason());
    }

    /** A QEMU that cannot be started says nothing about KVM: the weaker check decides, and says why. */
    @Test
    void aQemuThatCannotRunFallsBackToTheDeviceCheck() throws Exception {
        KvmCheck.Verdict v = KvmCheck.decide(devKvm(), tmp.resolve("no-sys-module"), tmp.resolve("qemu"),
            measured(new KvmGuestRun.Outcome(KvmGuestRun.Ending.NOT_STARTED, -1, Duration.ZERO, "error=13, Permission denied")));
        assertTrue(v.usable());
        assertTrue(v.how().contains("could not be run: error=13"), v.how());
    }

    /** The capability probe refuses on the guest run's word, before any VMM is started, and names the check. */
    @Test
    void theCapabilityProbeIsNotCapableWhenTheGuestStalls() throws Exception {
        Path binary = Files.createFile(tmp.resolve("cloud-hypervisor"));
        binary.toFile().setExecutable(true);
        CapabilityProbe.Host host = new CapabilityProbe.Host(devKvm(), tmp.resolve("no-sys-module"), null, Path.of("/proc/meminfo"), "", tmp.resolve("qemu"), null);
        CapabilityProbe.Result r = CapabilityProbe.probe(binary, false, false, host, null, tmp.resolve("scratch"), Duration.ofSeconds(1),
            measured(new KvmGuestRun.Outcome(KvmGuestRun.Ending.TIMED_OUT, -1, KvmGuestRun.BOUND, "")));
        assertFalse(r.capabilities().capable());
        assertTrue(r.capabilities().notCapableReason().contains("KVM check: " + KvmCheck.GUEST_RUN), r.capabilities().notCapableReason());
    }

    @Test
    void theBootSectorIsWellFormed() {
        byte[] s = KvmGuestRun.bootSector();
        assertEquals(512, s.length);
        assertEquals(0x55, s[510] & 0xff);
        assertEquals(0xaa, s[511] & 0xff);
        assertEquals(KvmGuestRun.TICKS, s[0x0b], "the tick count is the immediate of mov cx");
        assertEquals(0x46c, (s[0x0f] & 0xff) | (s[0x10] & 0xff) << 8, "the BIOS tick counter is read");
        // both backward jumps land on the hlt
        assertEquals(0x12, 0x1a + s[0x19], "je wait");
        assertEquals(0x12, 0x1f + s[0x1e], "jnz wait");
        assertEquals((byte) 0xf4, s[0x12]);
        assertEquals(85, KvmGuestRun.EXIT_PASSED);
    }

    /** /sys/module as recorded on this project's CI host (kvm_pvm) and on an ordinary AMD host. */
    @Test
    void aKvmWithoutVirtualizationExtensionsIsRefusedBeforeAnyGuestRuns() throws Exception {
        Path pvm = tmp.resolve("pvm");
        for (String m : java.util.List.of("kvm", "kvm_pvm", "tun")) Files.createDirectories(pvm.resolve(m).resolve("parameters"));
        KvmCheck.Verdict v = KvmCheck.decide(devKvm(), pvm, Path.of("/usr/bin/qemu-system-x86_64"), MUST_NOT_RUN);
        assertFalse(v.usable());
        assertTrue(v.reason().contains("kvm_pvm"), v.reason());
        Path amd = tmp.resolve("amd");
        for (String m : java.util.List.of("kvm", "kvm_amd")) Files.createDirectories(amd.resolve(m).resolve("parameters"));
        assertEquals(null, KvmCheck.withoutVirtualizationExtensions(amd));
    }
}
