package io.limiquantix.node.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.options;

import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.api.VmState;
import io.limiquantix.node.runtime.NodeService;
import io.limiquantix.node.runtime.VmRecord;
import java.util.UUID;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * ListVMs answers from the last listing plus what libvirt's events named since (see core's ListingCache), so a
 * change made behind the node's back must still show: a real guest on qemu:///system is started, paused, resumed,
 * destroyed and undefined with virsh, and each time the node's listing (and GetVM, answered from the same kept
 * listing) follows within the time an event takes.
 */
@RunWith(PaxExam.class)
public class ListingFollowsLibvirtIT {
    @Inject NodeService node;
    @Inject ConfigurationAdmin cm;

    @Configuration
    public Option[] config() {
        return options(NodeOptions.node("listing-" + UUID.randomUUID(),
            "limiquantix.libvirt.defaults", "false",
            "limiquantix.storage.roots", "/var/lib/limiquantix"));
    }

    private VmState listed(String id) {
        return node.listVms().stream().filter(r -> r.id().equals(id)).map(VmRecord::state).findFirst().orElse(null);
    }

    private void virshThenListed(String id, VmState expected, String... command) {
        String[] args = new String[command.length + 2];
        args[0] = "-c";
        args[1] = "qemu:///system";
        System.arraycopy(command, 0, args, 2, command.length);
        RealHost.Result r = RealHost.virsh(args);
        assertEquals("virsh " + String.join(" ", command) + ": " + r.out(), 0, r.exit());
        long t0 = System.nanoTime();
        // 5 s: well within the 10 s after which a served listing is re-taken anyway, so only the event can do it
        // (without the marking, each step here took 10 s)
        Await.until("ListVMs to show " + expected + " after virsh " + command[0] + " (shows " + listed(id) + ")", 5_000,
            () -> listed(id) == expected);
        assertEquals("GetVM, once the listing shows it", expected, node.getVm(id).state());
        System.out.println("LISTING after virsh " + command[0] + ": " + expected + " listed after "
            + (System.nanoTime() - t0) / 1_000_000 + " ms");
    }

    @Test
    public void changesMadeWithVirshShowInTheListing() throws Exception {
        RealHost.requireLibvirtd();
        RealHost.requireGuest();
        Backends.add(cm, "listing-qemu", "qemu:///system", 100, "auto");
        Backends.await(node, "listing-qemu");
        String name = "lq-itest-listing-" + UUID.randomUUID().toString().substring(0, 8);
        VmRecord vm = node.createVm(VmSpec.builder(name).vcpus(1).memoryMiB(128)
            .kernelBoot(RealHost.KERNEL, RealHost.INITRD, "console=ttyS0 panic=-1").serialConsole(true).build());
        boolean undefined = false;
        try {
            assertEquals(VmState.STOPPED, listed(vm.id()));
            assertEquals(VmState.STOPPED, listed(vm.id())); // the second from the kept listing
            virshThenListed(vm.id(), VmState.RUNNING, "start", vm.id());
            virshThenListed(vm.id(), VmState.PAUSED, "suspend", vm.id());
            virshThenListed(vm.id(), VmState.RUNNING, "resume", vm.id());
            virshThenListed(vm.id(), VmState.STOPPED, "destroy", vm.id());
            // and the node's own operations show at once, without waiting for their events
            node.startVm(vm.id());
            assertEquals(VmState.RUNNING, listed(vm.id()));
            node.forceStopVm(vm.id());
            assertEquals(VmState.STOPPED, listed(vm.id()));
            virshThenListed(vm.id(), VmState.MISSING, "undefine", vm.id());
            undefined = true;
        } finally {
            if (!undefined && node.getVm(vm.id()).state().isActive()) node.forceStopVm(vm.id());
            node.deleteVm(vm.id());
        }
        assertTrue(node.listVms().stream().noneMatch(r -> r.id().equals(vm.id())));
    }
}
