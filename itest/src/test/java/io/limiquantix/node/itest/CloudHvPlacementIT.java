package io.limiquantix.node.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.ops4j.pax.exam.CoreOptions.composite;
import static org.ops4j.pax.exam.CoreOptions.options;

import io.limiquantix.node.api.GuestOs;
import io.limiquantix.node.api.PlacementHints;
import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.api.VmState;
import io.limiquantix.node.runtime.BackendView;
import io.limiquantix.node.runtime.NodeService;
import io.limiquantix.node.runtime.PlacementDecision;
import io.limiquantix.node.runtime.VmRecord;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Hashtable;
import java.util.UUID;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerMethod;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * Placement between libvirt (its in-process test:///default driver) and Cloud Hypervisor inside a real
 * Felix framework with the real bundles.
 *
 * <p>No real Cloud Hypervisor can run here (no binary, and nested KVM guests hang), so the capable case uses
 * the STAND-IN VMM that cloudhv.bundle's build writes (a Java process serving CH's REST API on the socket it
 * is given, booting nothing) with the test-only setting {@code testOnly.skipKvmCheck}; the Linux performance
 * VM is created and started through it. The not-capable case is the real state of such a host: the embedded
 * default backend {@code cloudhv} says why, and placement reports it.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class CloudHvPlacementIT {
    private static final String LIBVIRT = "itest-test";
    private static final String CLOUDHV = "itest-ch";
    private static final String CH_FACTORY_PID = "io.limiquantix.node.cloudhv";
    /**
     * Short, because the VMM's API socket lives under the state directory and Unix socket paths are limited to
     * 108 bytes; named after the JVM because Pax Exam loads this class twice (test JVM and probe bundle).
     */
    private static final Path SCRATCH = Path.of("/tmp", "lq-chit-" + ProcessHandle.current().pid());

    @Inject NodeService node;
    @Inject ConfigurationAdmin cm;

    @Configuration
    public Option[] config() throws IOException {
        Path images = Files.createDirectories(SCRATCH.resolve("images"));
        // Placement and the storage-root check only need the files to exist; the stand-in boots nothing.
        for (String f : new String[] {"vmlinuz", "initramfs.gz"})
            if (!Files.exists(images.resolve(f))) Files.write(images.resolve(f), new byte[] {0});
        return options(composite(
            NodeOptions.node("cloudhv-" + UUID.randomUUID(),
                "limiquantix.libvirt.defaults", "false",
                "limiquantix.storage.roots", images.toString(),
                "limiquantix.backend.wait", "2"),
            NodeOptions.jar("cloudhv.bundle")));
    }

    private static Path standIn() {
        String p = System.getProperty("lq.cloudhv.standin");
        File f = p == null ? null : new File(p);
        if (f == null || !f.isFile()) {
            String msg = "STAND-IN VMM MISSING: system property lq.cloudhv.standin must name cloudhv.bundle/target/stand-in/cloud-hypervisor"
                + " (built by cloudhv.bundle's test phase); was " + p;
            System.err.println("*** " + msg);
            fail(msg); // not an assumption: Pax Exam would report it as a pass
        }
        // Maven's resource filtering does not keep the executable bit.
        assertTrue("cannot make " + f + " executable", f.setExecutable(true));
        return f.toPath();
    }

    private static VmSpec linuxPerformance(String name) {
        return VmSpec.builder(name).vcpus(1).memoryMiB(128)
            .kernelBoot(SCRATCH.resolve("images/vmlinuz").toString(), SCRATCH.resolve("images/initramfs.gz").toString(), "console=ttyS0")
            .placement(new PlacementHints(null, true, false)).build();
    }

    private static VmSpec windowsPerformance(String name) {
        return VmSpec.builder(name).vcpus(1).memoryMiB(128).serialConsole(false).os(GuestOs.windows("win2k22"))
            .placement(new PlacementHints(null, true, false)).build();
    }

    private static PlacementDecision.Candidate candidate(PlacementDecision d, String backend) {
        return d.candidates().stream().filter(c -> c.backend().equals(backend)).findFirst()
            .orElseThrow(() -> new AssertionError("backend " + backend + " is not among the candidates: " + d.candidates()));
    }

    private void addCloudHv(Path binary) throws IOException {
        org.osgi.service.cm.Configuration c = cm.createFactoryConfiguration(CH_FACTORY_PID, null);
        Hashtable<String, Object> props = new Hashtable<>();
        props.put("name", CLOUDHV);
        props.put("ranking", 200);
        props.put("binary", binary.toString());
        props.put("stateDir", SCRATCH.resolve("state-" + UUID.randomUUID().toString().substring(0, 8)).toString());
        props.put("testOnly.skipKvmCheck", true); // TEST ONLY: the stand-in on a host without usable KVM
        c.update(props);
    }

    @Test
    public void aLinuxPerformanceVmLandsOnCloudHypervisorAndAWindowsVmOnLibvirt() throws Exception {
        Path standIn = standIn();
        Backends.add(cm, LIBVIRT, "test:///default", 100, "auto");
        addCloudHv(standIn);
        Backends.await(node, LIBVIRT);
        BackendView ch = Backends.await(node, CLOUDHV);
        assertEquals("cloudhv", ch.type());
        assertEquals(200, ch.ranking());

        String suffix = UUID.randomUUID().toString().substring(0, 8);
        PlacementDecision perf = node.place(linuxPerformance("itest-perf-" + suffix));
        assertEquals(perf.toString(), CLOUDHV, perf.chosen());
        assertTrue("libvirt is capable, only less preferred: " + candidate(perf, LIBVIRT), candidate(perf, LIBVIRT).eligible());

        PlacementDecision win = node.place(windowsPerformance("itest-win-" + suffix));
        assertEquals(win.toString(), LIBVIRT, win.chosen());
        PlacementDecision.Candidate refused = candidate(win, CLOUDHV);
        assertFalse(refused.eligible());
        assertTrue("the reason names the missing feature: " + refused.reason(), refused.reason().contains("WINDOWS_GUEST"));

        // The VM really goes there: defined, started (the stand-in VMM answers as CH would), stopped, deleted.
        VmRecord vm = node.createVm(linuxPerformance("itest-perf-" + suffix));
        assertEquals(CLOUDHV, vm.backend());
        node.startVm(vm.id());
        Await.until("the VM to run on " + CLOUDHV, 30_000, () -> node.getVm(vm.id()).state() == VmState.RUNNING);
        node.forceStopVm(vm.id());
        Await.until("the VM to stop", 30_000, () -> node.getVm(vm.id()).state() == VmState.STOPPED);
        node.deleteVm(vm.id());
        VmRecord w = node.createVm(windowsPerformance("itest-win-" + suffix));
        assertEquals(LIBVIRT, w.backend());
        node.deleteVm(w.id());
    }

    @Test
    public void withCloudHypervisorNotCapableEverythingLandsOnLibvirtAndPlacementSaysWhy() throws Exception {
        if (new File("/usr/bin/cloud-hypervisor").exists())
            fail("this test checks the real state of a host without Cloud Hypervisor, but /usr/bin/cloud-hypervisor exists");
        Backends.add(cm, LIBVIRT, "test:///default", 100, "auto");
        Backends.await(node, LIBVIRT);
        // No Cloud Hypervisor configuration: the embedded default 'cloudhv' (ranking 200) registers, not capable.
        BackendView dflt = Await.value("the embedded default cloudhv backend", 60_000,
            () -> node.backends().stream().filter(b -> b.name().equals("cloudhv")).findFirst().orElse(null));
        assertEquals(200, dflt.ranking());
        assertFalse(dflt.capabilities().capable());

        String suffix = UUID.randomUUID().toString().substring(0, 8);
        for (VmSpec spec : new VmSpec[] {linuxPerformance("itest-perf-" + suffix), windowsPerformance("itest-win-" + suffix)}) {
            PlacementDecision d = node.place(spec);
            assertEquals(d.toString(), LIBVIRT, d.chosen());
            PlacementDecision.Candidate ch = candidate(d, "cloudhv");
            assertFalse(ch.eligible());
            assertTrue("placement reports why: " + ch.reason(), ch.reason().startsWith("not capable:"));
            assertTrue("the reason is the missing binary: " + ch.reason(), ch.reason().contains("cloud-hypervisor"));
        }
        VmRecord vm = node.createVm(linuxPerformance("itest-perf-" + suffix));
        assertEquals(LIBVIRT, vm.backend());
        node.deleteVm(vm.id());
    }
}
