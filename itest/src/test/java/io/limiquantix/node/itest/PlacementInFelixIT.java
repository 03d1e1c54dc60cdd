package io.limiquantix.node.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.ops4j.pax.exam.CoreOptions.options;

import io.limiquantix.node.api.Feature;
import io.limiquantix.node.api.Firmware;
import io.limiquantix.node.api.GraphicsSpec;
import io.limiquantix.node.api.GuestOs;
import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.api.VmState;
import io.limiquantix.node.runtime.BackendView;
import io.limiquantix.node.runtime.NodeService;
import io.limiquantix.node.runtime.PlacementDecision;
import io.limiquantix.node.runtime.VmRecord;
import java.util.List;
import java.util.UUID;
import java.util.function.UnaryOperator;
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
 * Placement inside a real Felix framework with the real bundles: two libvirt backends (the in-process test
 * driver, ranked higher, and the real QEMU daemon, ranked lower) that differ in capabilities; each VM lands
 * on the right one; a backend that goes away sends new VMs to the next capable one and comes back to find
 * its VMs again, from the ledger, without duplicates.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class PlacementInFelixIT {
    private static final String TEST = "itest-test";
    private static final String QEMU = "itest-qemu";

    @Inject NodeService node;
    @Inject ConfigurationAdmin cm;

    @Configuration
    public Option[] config() {
        return options(NodeOptions.node("placement-" + UUID.randomUUID(),
            "limiquantix.libvirt.defaults", "false",
            "limiquantix.storage.roots", "/var/lib/limiquantix",
            "limiquantix.backend.wait", "2"));
    }

    private static VmSpec.Builder plain(String name) {
        return VmSpec.builder(name).vcpus(1).memoryMiB(128).serialConsole(false);
    }

    /** Specs that need one feature each; the test uses one the QEMU backend has and the test driver lacks. */
    private static final List<Object[]> FEATURE_SPECS = List.of(
        new Object[] {Feature.DIRECT_KERNEL_BOOT, (UnaryOperator<VmSpec.Builder>) b -> b.kernelBoot(RealHost.KERNEL, RealHost.INITRD, "console=ttyS0")},
        new Object[] {Feature.UEFI_FIRMWARE, (UnaryOperator<VmSpec.Builder>) b -> b.firmware(Firmware.UEFI)},
        new Object[] {Feature.SERIAL_CONSOLE, (UnaryOperator<VmSpec.Builder>) b -> b.serialConsole(true)},
        new Object[] {Feature.VNC_CONSOLE, (UnaryOperator<VmSpec.Builder>) b -> b.graphics(GraphicsSpec.vnc())},
        new Object[] {Feature.WINDOWS_GUEST, (UnaryOperator<VmSpec.Builder>) b -> b.os(GuestOs.windows("win2k22"))});

    @SuppressWarnings("unchecked")
    private static VmSpec needing(BackendView has, BackendView lacks, String name, Feature[] chosen) {
        for (Object[] fs : FEATURE_SPECS) {
            Feature f = (Feature) fs[0];
            if (has.capabilities().has(f) && !lacks.capabilities().has(f)) {
                chosen[0] = f;
                return ((UnaryOperator<VmSpec.Builder>) fs[1]).apply(plain(name)).build();
            }
        }
        fail("the QEMU backend " + has.capabilities().features() + " and the test driver " + lacks.capabilities().features()
            + " must differ in one of the features this test knows how to ask for");
        return null;
    }

    @Test
    public void eachVmLandsOnTheRightBackendAndVmsSurviveTheirBackendGoingAway() throws Exception {
        RealHost.requireLibvirtd();
        RealHost.requireGuest();
        try (TestDriverHold hold = new TestDriverHold()) {
            int testDomainsBefore = hold.domainCount();
            org.osgi.service.cm.Configuration testCfg = Backends.add(cm, TEST, "test:///default", 100, "auto");
            Backends.add(cm, QEMU, "qemu:///system", 50, "tcg");
            BackendView test = Backends.await(node, TEST);
            BackendView qemu = Backends.await(node, QEMU);
            assertTrue("test driver capable: " + test.capabilities(), test.capabilities().capable());
            assertTrue("qemu capable: " + qemu.capabilities(), qemu.capabilities().capable());

            String suffix = UUID.randomUUID().toString().substring(0, 8);
            // A dry run records nothing.
            int before = node.listVms().size();
            PlacementDecision dry = node.place(plain("itest-plain-" + suffix).build());
            assertEquals(TEST, dry.chosen());
            assertEquals(before, node.listVms().size());
            PlacementDecision.Candidate passedOver = dry.candidates().stream().filter(c -> c.backend().equals(QEMU)).findFirst().orElseThrow();
            assertFalse("qemu should lose on ranking here: " + passedOver, passedOver.backend().equals(dry.chosen()));
            assertNotNull(passedOver.reason());

            // Ranking decides among capable backends; capability decides before ranking.
            VmRecord a = node.createVm(plain("itest-plain-" + suffix).build());
            assertEquals(TEST, a.backend());
            Feature[] feature = new Feature[1];
            VmSpec special = needing(qemu, test, "itest-special-" + suffix, feature);
            PlacementDecision why = node.place(special);
            assertEquals(QEMU, why.chosen());
            PlacementDecision.Candidate refused = why.candidates().stream().filter(c -> c.backend().equals(TEST)).findFirst().orElseThrow();
            assertFalse(refused.eligible());
            assertTrue("the reason names the missing feature: " + refused.reason(), refused.reason().contains(feature[0].name()));
            VmRecord b = node.createVm(special);
            assertEquals(QEMU, b.backend());
            assertEquals(0, RealHost.virsh("-c", "qemu:///system", "dominfo", b.id()).exit());

            // The top-ranked backend goes away: its VM is still known (away, not lost); new VMs go to the next one.
            testCfg.delete();
            Backends.awaitGone(node, TEST);
            assertEquals(VmState.BACKEND_AWAY, node.getVm(a.id()).state());
            VmRecord c = node.createVm(plain("itest-plain2-" + suffix).build());
            assertEquals(QEMU, c.backend());

            // It comes back: the VM is found again under the same id with the same spec, once.
            Backends.add(cm, TEST, "test:///default", 100, "auto");
            Backends.await(node, TEST);
            Await.until("VM a to be seen again on " + TEST, 30_000, () -> node.getVm(a.id()).state() == VmState.STOPPED);
            VmRecord again = node.getVm(a.id());
            assertEquals(TEST, again.backend());
            assertEquals(a.spec(), again.spec());
            assertFalse(again.adopted());
            assertEquals(1, node.listVms().stream().filter(r -> r.id().equals(a.id())).count());
            // The test driver's built-in domain was not created by the node: it is adopted, without a spec
            // (reconciliation of the returning backend adopts it; it may finish after VM a is seen again).
            Await.until("the test driver's own domain to be adopted", 30_000, () -> node.listVms().stream()
                .anyMatch(r -> r.name().equals("test") && r.backend().equals(TEST)));
            VmRecord builtIn = node.listVms().stream().filter(r -> r.name().equals("test") && r.backend().equals(TEST))
                .findFirst().orElseThrow(() -> new AssertionError("the test driver's own domain was not adopted"));
            assertTrue(builtIn.adopted());
            assertNull(builtIn.spec());

            for (VmRecord r : List.of(a, b, c)) node.deleteVm(r.id());
            assertEquals(testDomainsBefore, hold.domainCount());
            assertTrue("qemu domain left behind", RealHost.virsh("-c", "qemu:///system", "dominfo", b.id()).exit() != 0);
            assertTrue("qemu domain left behind", RealHost.virsh("-c", "qemu:///system", "dominfo", c.id()).exit() != 0);
        }
    }
}
