package io.limiquantix.node.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.options;

import io.limiquantix.node.api.Accelerator;
import io.limiquantix.node.api.ConflictException;
import io.limiquantix.node.api.ConsoleInfo;
import io.limiquantix.node.api.OperationProgress;
import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.api.VmState;
import io.limiquantix.node.runtime.BackendView;
import io.limiquantix.node.runtime.NodeService;
import io.limiquantix.node.runtime.VmRecord;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * A real guest through NodeService: the Debian cloud kernel with a busybox initramfs boots under TCG on
 * qemu:///system (a libvirtd started by ./run/test), its serial log shows it running, and stop + delete
 * leave nothing behind in libvirt.
 */
@RunWith(PaxExam.class)
public class RealGuestIT {
    @Inject NodeService node;
    @Inject ConfigurationAdmin cm;

    @Configuration
    public Option[] config() {
        return options(NodeOptions.node("realguest-" + UUID.randomUUID(),
            "limiquantix.libvirt.defaults", "false",
            "limiquantix.storage.roots", "/var/lib/limiquantix"));
    }

    private static String read(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p, StandardCharsets.ISO_8859_1) : "";
        } catch (IOException e) {
            return "";
        }
    }

    @Test
    public void aDebianCloudKernelBootsUnderTcgAndLeavesNothingBehind() throws Exception {
        RealHost.requireLibvirtd();
        RealHost.requireGuest();
        Backends.add(cm, "real-qemu", "qemu:///system", 100, "auto");
        BackendView qemu = Backends.await(node, "real-qemu");
        assertTrue(qemu.capabilities().toString(), qemu.capabilities().capable());
        // On a host where KVM opens but cannot run guests, "auto" must have chosen TCG; where KVM works, KVM.
        assertNotNull(qemu.capabilities().accelerator());
        assertTrue(qemu.capabilities().accelerator() != Accelerator.NONE);

        String name = "lq-itest-guest-" + UUID.randomUUID().toString().substring(0, 8);
        VmRecord vm = node.createVm(VmSpec.builder(name).vcpus(1).memoryMiB(128)
            .kernelBoot(RealHost.KERNEL, RealHost.INITRD, "console=ttyS0 panic=-1").serialConsole(true).build());
        assertEquals("real-qemu", vm.backend());
        assertEquals(VmState.STOPPED, node.getVm(vm.id()).state());
        try {
            node.startVm(vm.id());
            assertEquals(VmState.RUNNING, node.getVm(name).state());
            if (qemu.capabilities().accelerator() == Accelerator.TCG) {
                String xml = RealHost.virsh("-c", "qemu:///system", "dumpxml", vm.id()).out();
                assertTrue("TCG chosen, so the domain must be type qemu:\n" + xml, xml.contains("type='qemu'"));
            }
            ConsoleInfo console = node.consoleInfo(vm.id());
            assertNotNull("serial log path", console.serialLog());
            Path log = Path.of(console.serialLog());
            Await.until("the guest's serial log to show GUEST-UP and ticking (" + log + ")", 120_000,
                () -> read(log).contains("GUEST-UP") && read(log).contains("TICK 2 "));

            // busybox init ignores the ACPI power button: a graceful stop times out, reports progress,
            // says so and leaves the guest running; a forced stop then powers it off.
            List<OperationProgress> progress = new CopyOnWriteArrayList<>();
            assertThrows(ConflictException.class, () -> node.stopVm(vm.id(), Duration.ofSeconds(3), progress::add));
            assertTrue("graceful stop reports progress", !progress.isEmpty());
            assertEquals(VmState.RUNNING, node.getVm(vm.id()).state());
            node.forceStopVm(vm.id());
            assertEquals(VmState.STOPPED, node.getVm(vm.id()).state());
        } finally {
            if (node.getVm(vm.id()).state().isActive()) node.forceStopVm(vm.id());
            node.deleteVm(vm.id());
        }
        RealHost.Result left = RealHost.virsh("-c", "qemu:///system", "dominfo", vm.id());
        assertTrue("libvirt still knows the domain: " + left.out(), left.exit() != 0);
        assertTrue(node.listVms().stream().noneMatch(r -> r.id().equals(vm.id())));
    }
}
