package io.limiquantix.node.libvirt.internal.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.limiquantix.node.api.Accelerator;
import io.limiquantix.node.libvirt.internal.domain.HyperVFeatures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Hyper-V probe against the real QEMU under TCG: vpindex refused, the rest accepted; its verdict kept on
 * disk runs no QEMU again until the host's key changes.
 */
class HyperVProbeTest {
    @TempDir
    Path tmp;

    private static void requireQemu() {
        LibvirtTestSupport.requireOrSkip(Files.isExecutable(KvmProbe.QEMU), "QEMU missing at " + KvmProbe.QEMU);
    }

    private static void assertTcgAnswer(Set<String> accepted) {
        assertTrue(accepted.containsAll(List.of("relaxed", "vapic", "spinlocks", "runtime")), String.valueOf(accepted));
        assertFalse(accepted.contains("vpindex"), String.valueOf(accepted));
    }

    /** A store keyed like the real host's, but with a kernel release file the test can change. */
    private HyperVVerdictStore store(Path release) {
        return new HyperVVerdictStore(tmp.resolve("data").resolve(HyperVVerdictStore.FILE_NAME),
            new HostProbeKey(KvmProbe.QEMU, KvmProbe.DEV_KVM, release));
    }

    @Test
    void aStoredVerdictRunsNoQemuUntilTheHostChanges() throws Exception {
        requireQemu();
        Path release = Files.writeString(tmp.resolve("osrelease"), Files.readString(Path.of("/proc/sys/kernel/osrelease")));
        int before = HyperVProbe.QEMU_RUNS.get();
        Set<String> first = HyperVProbe.loadOrProbe(store(release), KvmProbe.QEMU, Accelerator.TCG);
        int afterFirst = HyperVProbe.QEMU_RUNS.get();
        assertTrue(afterFirst > before, "the first probe asks QEMU");
        assertTcgAnswer(first);
        Path file = store(release).file();
        assertTrue(Files.isRegularFile(file), "stored in " + file);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals(List.of(file), Files.list(file.getParent()).toList(), "no temporary file left behind");

        // a new store on the same file (a bundle swap, a node restart): same answer, no QEMU
        Set<String> second = HyperVProbe.loadOrProbe(store(release), KvmProbe.QEMU, Accelerator.TCG);
        assertEquals(first, second);
        assertEquals(afterFirst, HyperVProbe.QEMU_RUNS.get(), "a stored verdict under the same key runs no QEMU");
        assertNull(store(release).load(Accelerator.KVM), "each accelerator has its own verdict");

        // another kernel: the key differs, QEMU is asked again and the new verdict replaces the old one
        Files.writeString(release, "0.0.0-another-kernel\n");
        assertNull(store(release).load(Accelerator.TCG));
        Set<String> third = HyperVProbe.loadOrProbe(store(release), KvmProbe.QEMU, Accelerator.TCG);
        int afterThird = HyperVProbe.QEMU_RUNS.get();
        assertTrue(afterThird > afterFirst, "a changed key probes again");
        assertEquals(first, third);
        assertEquals(first, HyperVProbe.loadOrProbe(store(release), KvmProbe.QEMU, Accelerator.TCG));
        assertEquals(afterThird, HyperVProbe.QEMU_RUNS.get());
    }

    @Test
    void aSwapOfTheBundleReadsTheStoreInsteadOfRunningQemu() {
        requireQemu();
        Path data = tmp.resolve("node-data");
        try {
            HyperVProbe.storeVerdictsIn(data);
            assertFalse(HyperVProbe.known(Accelerator.TCG), "nothing stored or remembered yet");
            // what a backend does on connect: the probe runs on its own thread, the connect goes on
            HyperVLookup lookup = new HyperVLookup("probe-test");
            int before = HyperVProbe.QEMU_RUNS.get();
            lookup.start(Accelerator.TCG);
            // start() only hands the probe (13 QEMU runs under TCG) to its thread: it cannot be done yet
            assertFalse(lookup.done(), "the connecting thread does not wait for QEMU");
            Set<String> probed = lookup.get();
            lookup.close();
            assertTcgAnswer(probed);
            assertTrue(HyperVProbe.QEMU_RUNS.get() > before);
            assertTrue(Files.isRegularFile(data.resolve(HyperVVerdictStore.FILE_NAME)));

            // the new revision of the bundle starts with empty statics: the Activator names the data dir again
            HyperVProbe.storeVerdictsIn(data);
            int afterProbe = HyperVProbe.QEMU_RUNS.get();
            assertTrue(HyperVProbe.known(Accelerator.TCG), "the stored verdict is there under the current key");
            HyperVLookup again = new HyperVLookup("probe-test-2");
            again.start(Accelerator.TCG);
            assertTrue(again.done(), "taken on the connecting thread, no background probe");
            assertEquals(probed, again.get());
            again.close();
            assertEquals(afterProbe, HyperVProbe.QEMU_RUNS.get(), "no QEMU after the swap");
        } finally {
            HyperVProbe.storeVerdictsIn(null);
        }
    }

    @Test
    void closingStopsAProbeInProgressWithoutRememberingIt() throws Exception {
        requireQemu();
        try {
            HyperVProbe.storeVerdictsIn(tmp.resolve("closing"));
            HyperVLookup lookup = new HyperVLookup("probe-closing");
            lookup.start(Accelerator.TCG);
            lookup.close();
            LibvirtTestSupport.waitFor(java.time.Duration.ofSeconds(30), () -> Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.getName().equals("lq-libvirt-probe-closing-hyperv-probe")), () -> "the probe thread outlived close");
            // either the probe finished before close (then it is stored and complete) or it was cut short and
            // nothing was remembered: never a partial answer
            if (HyperVProbe.known(Accelerator.TCG)) assertTcgAnswer(HyperVProbe.accepted(Accelerator.TCG));
        } finally {
            HyperVProbe.storeVerdictsIn(null);
        }
    }

    @Test
    void tcgRefusesVpindexAndWhatNeedsIt() {
        LibvirtTestSupport.requireOrSkip(Files.isExecutable(KvmProbe.QEMU), "QEMU missing at " + KvmProbe.QEMU);
        Set<String> accepted = HyperVProbe.accepted(Accelerator.TCG);
        assertTrue(accepted.containsAll(List.of("relaxed", "vapic", "spinlocks", "runtime", "reset", "frequencies", HyperVFeatures.TIME)),
            accepted.toString());
        assertFalse(accepted.contains("vpindex"), "QEMU 7.2 refuses hv-vpindex under TCG: " + accepted);
        // synic/stimer/tlbflush/ipi are accepted by QEMU alone under TCG only because TCG ignores them; together
        // with vpindex (which they need) they are refused, and the profile leaves them out either way
        assertEquals(List.of("runtime", "reset", "frequencies"), HyperVFeatures.usable(accepted));
        assertEquals(HyperVFeatures.assumed(Accelerator.TCG), accepted, "the assumption without a probe matches what QEMU says here");
    }

    @Test
    void noQemuMeansNothingKnown() {
        assertNull(HyperVProbe.probe(Path.of("/nonexistent/qemu-system-x86_64"), Accelerator.TCG));
        assertNull(HyperVProbe.accepted(Accelerator.NONE));
    }

    @Test
    void dependenciesAreClosed() {
        assertEquals(HyperVFeatures.ORDER, HyperVFeatures.usable(Set.copyOf(HyperVFeatures.ALL)));
        // stimer needs synic and the Hyper-V clock as well as vpindex
        Set<String> noTime = Set.of("relaxed", "vpindex", "synic", "stimer");
        assertEquals(List.of("vpindex", "synic"), HyperVFeatures.usable(noTime));
        assertEquals(List.of("hv-vpindex", "hv-synic", "hv-time", "hv-stimer"), HyperVFeatures.qemuFlags("stimer"));
        assertEquals(List.of("hv-spinlocks=0x1fff"), HyperVFeatures.qemuFlags("spinlocks"));
    }
}
