package io.limiquantix.node.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.options;

import io.limiquantix.node.api.ConflictException;
import io.limiquantix.node.api.DiskSpec;
import io.limiquantix.node.api.Feature;
import io.limiquantix.node.api.UnsupportedFeatureException;
import io.limiquantix.node.api.NotFoundException;
import io.limiquantix.node.api.ProgressListener;
import io.limiquantix.node.api.SnapshotInfo;
import io.limiquantix.node.api.SnapshotSpec;
import io.limiquantix.node.api.Subscription;
import io.limiquantix.node.api.VmEvent;
import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.api.VmState;
import io.limiquantix.node.api.storage.DiskSource;
import io.limiquantix.node.runtime.BackendView;
import io.limiquantix.node.runtime.NodeService;
import io.limiquantix.node.runtime.VmRecord;
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
 * The whole contract through NodeService in Felix, on libvirt's in-process test driver: every operation
 * the test driver supports, with the events the node fans out.
 */
@RunWith(PaxExam.class)
public class TestDriverLifecycleIT {
    @Inject NodeService node;
    @Inject ConfigurationAdmin cm;

    @Configuration
    public Option[] config() {
        return options(NodeOptions.node("lifecycle-" + UUID.randomUUID(),
            "limiquantix.libvirt.defaults", "false",
            "limiquantix.storage.roots", "/var/lib/limiquantix/images"));
    }

    private static boolean seen(List<VmEvent> events, String vmId, VmEvent.Type type) {
        return events.stream().anyMatch(e -> vmId.equals(e.vmId()) && e.type() == type);
    }

    @Test
    public void everyOperationTheTestDriverSupports() throws Exception {
        try (TestDriverHold hold = new TestDriverHold()) {
            Backends.add(cm, "life-test", "test:///default", 10, "auto");
            Backends.await(node, "life-test");
            List<VmEvent> events = new CopyOnWriteArrayList<>();
            try (Subscription sub = node.subscribe(events::add)) {
                String name = "life-" + UUID.randomUUID().toString().substring(0, 8);
                VmRecord vm = node.createVm(VmSpec.builder(name).vcpus(2).memoryMiB(256).serialConsole(false).build());
                assertEquals("life-test", vm.backend());
                assertEquals(VmState.STOPPED, node.getVm(name).state());
                assertEquals(vm.id(), node.getVm(name).id());

                node.startVm(name);
                assertEquals(VmState.RUNNING, node.getVm(vm.id()).state());
                Await.until("STARTED event", 30_000, () -> seen(events, vm.id(), VmEvent.Type.STARTED));
                assertThrows("delete must refuse a running VM", ConflictException.class, () -> node.deleteVm(vm.id()));

                node.pauseVm(vm.id());
                assertEquals(VmState.PAUSED, node.getVm(vm.id()).state());
                Await.until("PAUSED event", 30_000, () -> seen(events, vm.id(), VmEvent.Type.PAUSED));
                node.resumeVm(vm.id());
                assertEquals(VmState.RUNNING, node.getVm(vm.id()).state());
                Await.until("RESUMED event", 30_000, () -> seen(events, vm.id(), VmEvent.Type.RESUMED));

                node.rebootVm(vm.id());
                assertEquals(VmState.RUNNING, node.getVm(vm.id()).state());

                // libvirt refuses an internal disk-only snapshot of a running VM; with memory is what it does.
                SnapshotInfo snap = node.createSnapshot(vm.id(), new SnapshotSpec("before-change", "first", true, false), ProgressListener.NONE);
                assertEquals("before-change", snap.name());
                assertTrue(node.listSnapshots(vm.id()).stream().anyMatch(s -> s.name().equals("before-change")));
                node.revertSnapshot(vm.id(), "before-change", ProgressListener.NONE);
                assertThrows(NotFoundException.class, () -> node.revertSnapshot(vm.id(), "no-such-snapshot", ProgressListener.NONE));
                node.deleteSnapshot(vm.id(), "before-change");
                assertFalse(node.listSnapshots(vm.id()).stream().anyMatch(s -> s.name().equals("before-change")));

                node.stopVm(vm.id(), Duration.ofSeconds(10), ProgressListener.NONE);
                assertEquals(VmState.STOPPED, node.getVm(vm.id()).state());
                Await.until("a stop event", 30_000,
                    () -> seen(events, vm.id(), VmEvent.Type.STOPPED) || seen(events, vm.id(), VmEvent.Type.SHUTDOWN));

                // libvirt's test driver has no device attach; the backend says so in its capabilities and the
                // call fails with the contract's typed error. (Hot-plug on a real guest: libvirt.bundle's tests.)
                BackendView backend = node.backends().stream().filter(b -> b.name().equals("life-test")).findFirst().orElseThrow();
                assertFalse(backend.capabilities().has(Feature.DISK_HOTPLUG));
                DiskSpec data = DiskSpec.file("data", "/var/lib/limiquantix/images/life-data.img", DiskSource.Format.RAW);
                assertThrows(UnsupportedFeatureException.class, () -> node.attachDisk(vm.id(), data));
                assertThrows(NotFoundException.class, () -> node.detachDisk(vm.id(), "data"));

                node.startVm(vm.id());
                node.forceStopVm(vm.id());
                assertEquals(VmState.STOPPED, node.getVm(vm.id()).state());

                int domains = hold.domainCount();
                node.deleteVm(vm.id());
                assertEquals(domains - 1, hold.domainCount());
                assertThrows(NotFoundException.class, () -> node.getVm(vm.id()));
                Await.until("UNDEFINED event", 30_000, () -> seen(events, vm.id(), VmEvent.Type.UNDEFINED));
            }
        }
    }
}
