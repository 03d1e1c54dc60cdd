package io.limiquantix.node.libvirt.internal.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.limiquantix.node.api.Accelerator;
import io.limiquantix.node.api.ConflictException;
import io.limiquantix.node.api.ConsoleInfo;
import io.limiquantix.node.api.DiskSpec;
import io.limiquantix.node.api.Feature;
import io.limiquantix.node.api.GraphicsSpec;
import io.limiquantix.node.api.HypervisorCapabilities;
import io.limiquantix.node.api.InvalidArgumentException;
import io.limiquantix.node.api.MigrationOptions;
import io.limiquantix.node.api.NotFoundException;
import io.limiquantix.node.api.OperationProgress;
import io.limiquantix.node.api.SnapshotInfo;
import io.limiquantix.node.api.SnapshotSpec;
import io.limiquantix.node.api.Subscription;
import io.limiquantix.node.api.UnsupportedFeatureException;
import io.limiquantix.node.api.VmEvent;
import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.api.VmState;
import io.limiquantix.node.api.VmStatus;
import io.limiquantix.node.api.storage.DiskSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every operation libvirt's test driver supports, through the real backend code: define, start, graceful
 * and forced stop, pause, resume, reboot, snapshots, console, delete, listing, events. The test driver runs
 * no guest code, so what it cannot do (disk hot-plug) must be refused with a typed error.
 */
class TestDriverLifecycleTest {
    private static LibvirtHypervisor hv;
    private final List<String> created = new ArrayList<>();

    @BeforeAll
    static void connect() {
        hv = LibvirtTestSupport.connected("test", "test:///default", AccelDecision.Requested.AUTO);
    }

    @AfterAll
    static void close() {
        hv.close();
        assertFalse(hv.health().isHealthy(), "a closed backend is not healthy");
    }

    @AfterEach
    void cleanUp() {
        for (String id : created) {
            try {
                hv.forceStopVm(id);
            } catch (RuntimeException ignored) {
                // not running
            }
            try {
                hv.deleteVm(id);
            } catch (NotFoundException ignored) {
                // already deleted by the test
            }
        }
    }

    private VmSpec spec(String prefix) {
        String id = UUID.randomUUID().toString();
        created.add(id);
        return VmSpec.builder(prefix + "-" + id.substring(0, 8)).id(id).vcpus(1).memoryMiB(128)
            .fileDisk("root", "/var/lib/images/" + id + ".qcow2", DiskSource.Format.QCOW2)
            .graphics(GraphicsSpec.vnc()).serialConsole(true).build();
    }

    @Test
    void capabilitiesOfTheTestDriver() {
        HypervisorCapabilities caps = hv.capabilities();
        assertTrue(caps.capable(), String.valueOf(caps.notCapableReason()));
        assertEquals("libvirt", caps.backendType());
        assertEquals(Accelerator.NONE, caps.accelerator());
        assertTrue(caps.has(Feature.SNAPSHOT_INTERNAL));
        assertTrue(caps.has(Feature.PAUSE));
        assertFalse(caps.has(Feature.DISK_HOTPLUG), "the test driver cannot attach devices");
        assertFalse(caps.has(Feature.LIVE_MIGRATION));
        assertTrue(caps.maxVcpus() > 0);
        assertTrue(caps.maxMemoryMiB() > 0);
        assertTrue(caps.version().contains("test driver"), caps.version());
        assertTrue(hv.health().isHealthy(), LibvirtTestSupport.describe(hv.health()));
    }

    @Test
    void fullLifecycleWithEvents() {
        List<VmEvent> events = new CopyOnWriteArrayList<>();
        VmSpec spec = spec("life");
        String id = spec.id();
        try (Subscription ignored = hv.subscribe(e -> {
            if (id.equals(e.vmId())) events.add(e);
        })) {
            VmStatus defined = hv.createVm(spec);
            assertEquals(id, defined.id());
            assertEquals(spec.name(), defined.name());
            assertEquals(VmState.STOPPED, defined.state());
            assertEquals(128, defined.memoryMiB());

            hv.startVm(id);
            assertEquals(VmState.RUNNING, hv.status(id).state());
            assertThrows(ConflictException.class, () -> hv.startVm(id), "starting a running VM conflicts");
            assertThrows(ConflictException.class, () -> hv.deleteVm(id), "a running VM cannot be deleted");

            hv.pauseVm(id);
            assertEquals(VmState.PAUSED, hv.status(id).state());
            hv.resumeVm(id);
            assertEquals(VmState.RUNNING, hv.status(id).state());
            hv.rebootVm(id);
            assertEquals(VmState.RUNNING, hv.status(id).state());

            ConsoleInfo console = hv.consoleInfo(id);
            assertEquals(GraphicsSpec.Type.VNC, console.type());
            assertEquals("127.0.0.1", console.host());
            assertNotNull(console.password());
            assertEquals(8, console.password().length());
            assertEquals("/var/log/libvirt/qemu/" + spec.name() + "-serial.log", console.serialLog());

            List<OperationProgress> progress = new CopyOnWriteArrayList<>();
            hv.stopVm(id, Duration.ofSeconds(20), progress::add);
            assertEquals(VmState.STOPPED, hv.status(id).state());
            assertEquals("stopped", progress.get(progress.size() - 1).phase());
            assertThrows(ConflictException.class, () -> hv.stopVm(id, Duration.ofSeconds(1), null));
            assertThrows(ConflictException.class, () -> hv.forceStopVm(id));

            hv.startVm(id);
            hv.forceStopVm(id);
            assertEquals(VmState.STOPPED, hv.status(id).state());

            hv.deleteVm(id);
            assertThrows(NotFoundException.class, () -> hv.status(id));
            assertThrows(NotFoundException.class, () -> hv.deleteVm(id));
            // Events arrive asynchronously: wait while still subscribed. (Waiting after closing the
            // subscription made this test drop the last events under load and look like lost delivery.)
            LibvirtTestSupport.waitFor(Duration.ofSeconds(10), () -> types(events).contains(VmEvent.Type.UNDEFINED),
                () -> "no UNDEFINED event; got " + types(events));
        }
        List<VmEvent.Type> seen = types(events);
        for (VmEvent.Type t : List.of(VmEvent.Type.DEFINED, VmEvent.Type.STARTED, VmEvent.Type.PAUSED, VmEvent.Type.RESUMED,
            VmEvent.Type.STOPPED, VmEvent.Type.UNDEFINED))
            assertTrue(seen.contains(t), "expected a " + t + " event, got " + seen);
        assertTrue(events.stream().allMatch(e -> "test".equals(e.backend())));
    }

    private static List<VmEvent.Type> types(List<VmEvent> events) {
        return events.stream().map(VmEvent::type).toList();
    }

    @Test
    void aThrowingListenerDoesNotStopDelivery() {
        List<VmEvent> seen = new CopyOnWriteArrayList<>();
        VmSpec spec = spec("noisy");
        try (Subscription a = hv.subscribe(e -> {
            throw new IllegalStateException("listener bug");
        }); Subscription b = hv.subscribe(e -> {
            if (spec.id().equals(e.vmId())) seen.add(e);
        })) {
            hv.createVm(spec);
            hv.startVm(spec.id());
            LibvirtTestSupport.waitFor(Duration.ofSeconds(10), () -> types(seen).contains(VmEvent.Type.STARTED),
                () -> "events stopped after a listener threw: " + types(seen));
        }
    }

    @Test
    void closedSubscriptionGetsNothing() throws InterruptedException {
        List<VmEvent> seen = new CopyOnWriteArrayList<>();
        VmSpec spec = spec("closed");
        Subscription s = hv.subscribe(e -> {
            if (spec.id().equals(e.vmId())) seen.add(e);
        });
        s.close();
        s.close();
        hv.createVm(spec);
        // a positive control: a second, open subscription does see the next event
        List<VmEvent> control = new CopyOnWriteArrayList<>();
        try (Subscription c = hv.subscribe(e -> {
            if (spec.id().equals(e.vmId())) control.add(e);
        })) {
            hv.startVm(spec.id());
            LibvirtTestSupport.waitFor(Duration.ofSeconds(10), () -> !control.isEmpty(), () -> "control subscription saw nothing");
        }
        assertTrue(seen.isEmpty(), "a closed subscription received " + seen);
    }

    /** libvirt's own parser (beyond the schema) accepts every profile this bundle writes. */
    @Test
    void everyProfileDefines() {
        VmSpec full = io.limiquantix.node.libvirt.internal.domain.Specs.linuxFull("p-full-" + UUID.randomUUID().toString().substring(0, 8));
        VmSpec windows = VmSpec.builder("p-win-" + UUID.randomUUID().toString().substring(0, 8)).id(UUID.randomUUID().toString())
            .os(io.limiquantix.node.api.GuestOs.windows("win2k22")).memoryMiB(2048)
            .disk(new DiskSpec("c", DiskSource.file("/var/lib/images/w.qcow2", DiskSource.Format.QCOW2), DiskSpec.Bus.SATA, null, false, 1))
            .nic(new io.limiquantix.node.api.NicSpec("default", null, io.limiquantix.node.api.NicSpec.Model.E1000E, null))
            .graphics(GraphicsSpec.vnc()).build();
        for (VmSpec spec : List.of(full, windows)) {
            created.add(spec.id());
            assertEquals(VmState.STOPPED, hv.createVm(spec).state());
            hv.startVm(spec.id());
            assertEquals(VmState.RUNNING, hv.status(spec.id()).state());
        }
    }

    @Test
    void conflictsOnIdAndName() {
        VmSpec spec = spec("dup");
        hv.createVm(spec);
        assertThrows(ConflictException.class, () -> hv.createVm(spec), "same id");
        String otherId = UUID.randomUUID().toString();
        created.add(otherId);
        ConflictException e = assertThrows(ConflictException.class, () -> hv.createVm(spec.withId(otherId)), "same name");
        assertTrue(e.getMessage().contains("name"), e.getMessage());
        assertThrows(NotFoundException.class, () -> hv.status(otherId), "nothing was defined for the refused spec");
    }

    @Test
    void listIncludesDomainsTheNodeDidNotCreate() {
        VmSpec spec = spec("listed");
        hv.createVm(spec);
        List<VmStatus> all = hv.listVms();
        assertTrue(all.stream().anyMatch(s -> s.name().equals("test")), "the test driver's own domain 'test' must be listed: " + all);
        assertTrue(all.stream().anyMatch(s -> s.id().equals(spec.id())));
    }

    @Test
    void snapshots() {
        VmSpec spec = spec("snap");
        String id = spec.id();
        hv.createVm(spec);
        hv.startVm(id);
        SnapshotInfo s1 = hv.createSnapshot(id, new SnapshotSpec("s1", "first one", true, false), null);
        assertEquals("s1", s1.name());
        assertEquals("first one", s1.description());
        assertEquals(VmState.RUNNING, s1.vmState());
        assertTrue(s1.includesMemory());
        assertFalse(s1.external());
        assertNotNull(s1.createdAt());
        assertThrows(ConflictException.class, () -> hv.createSnapshot(id, new SnapshotSpec("s1", null, true, false), null));
        assertThrows(UnsupportedFeatureException.class, () -> hv.createSnapshot(id, new SnapshotSpec("s-nomem", null, false, false), null),
            "an internal snapshot of a running VM always has memory in libvirt");
        SnapshotInfo s2 = hv.createSnapshot(id, new SnapshotSpec("s2", null, true, false), null);
        assertEquals("s1", s2.parent());
        List<SnapshotInfo> list = hv.listSnapshots(id);
        assertEquals(List.of("s1", "s2"), list.stream().map(SnapshotInfo::name).sorted().toList());
        assertTrue(list.stream().filter(SnapshotInfo::current).map(SnapshotInfo::name).toList().contains("s2"));
        List<OperationProgress> progress = new ArrayList<>();
        hv.revertSnapshot(id, "s1", progress::add);
        assertFalse(progress.isEmpty());
        assertEquals(List.of("s1"), hv.listSnapshots(id).stream().filter(SnapshotInfo::current).map(SnapshotInfo::name).toList());
        assertThrows(NotFoundException.class, () -> hv.revertSnapshot(id, "nope", null));
        hv.deleteSnapshot(id, "s2");
        assertThrows(NotFoundException.class, () -> hv.deleteSnapshot(id, "s2"));
        assertEquals(List.of("s1"), hv.listSnapshots(id).stream().map(SnapshotInfo::name).toList());
        hv.forceStopVm(id);
        assertThrows(ConflictException.class, () -> hv.createSnapshot(id, new SnapshotSpec("mem", null, true, false), null),
            "a stopped VM has no memory to save");
        // delete removes the snapshot metadata with the VM
        hv.deleteVm(id);
        assertThrows(NotFoundException.class, () -> hv.listSnapshots(id));
    }

    @Test
    void unsupportedOperationsAreTyped() {
        VmSpec spec = spec("hotplug");
        hv.createVm(spec);
        DiskSpec extra = DiskSpec.file("extra", "/var/lib/images/extra.raw", DiskSource.Format.RAW);
        assertThrows(UnsupportedFeatureException.class, () -> hv.attachDisk(spec.id(), extra));
        assertThrows(NotFoundException.class, () -> hv.detachDisk(spec.id(), "nosuchdisk"));
        InvalidArgumentException offlinePostCopy = assertThrows(InvalidArgumentException.class, () -> hv.migrate(spec.id(),
            "qemu+tcp://10.77.0.2/system", new MigrationOptions(false, true, null, 0, false, true, false, false, null, null), null),
            "post-copy needs a live migration");
        assertEquals("postCopy", offlinePostCopy.field());
        // (QEMU's own refusal of post-copy on this host is tested on real hosts in TwoHostMigrationTest)
        // 10.77.0.2 exists only inside the two-host test namespaces; these refusals come before any connection
        assertThrows(ConflictException.class, () -> hv.migrate(spec.id(), "qemu+tcp://10.77.0.2/system", MigrationOptions.liveDefaults(), null),
            "a stopped VM does not migrate live");
        hv.startVm(spec.id());
        InvalidArgumentException notQemu = assertThrows(InvalidArgumentException.class,
            () -> hv.migrate(spec.id(), "test+tcp://127.0.0.1/default", MigrationOptions.liveDefaults(), null));
        assertEquals("targetUri", notQemu.field());
        assertEquals(VmState.RUNNING, hv.status(spec.id()).state(), "a failed migration leaves the VM running here");
    }

    @Test
    void badArgumentsNameTheField() {
        assertEquals("vmId", assertThrows(InvalidArgumentException.class, () -> hv.status("NOT-A-UUID")).field());
        assertEquals("vmId", assertThrows(InvalidArgumentException.class, () -> hv.startVm(null)).field());
        assertEquals("vmId", assertThrows(InvalidArgumentException.class, () -> hv.status("123E4567-E89B-42D3-A456-426614174000")).field());
        assertEquals("id", assertThrows(InvalidArgumentException.class, () -> hv.createVm(VmSpec.builder("noid").build())).field());
        assertEquals("spec", assertThrows(InvalidArgumentException.class, () -> hv.createVm(null)).field());
        String missing = UUID.randomUUID().toString();
        assertThrows(NotFoundException.class, () -> hv.status(missing));
        assertThrows(NotFoundException.class, () -> hv.startVm(missing));
        assertEquals("snapshotName", assertThrows(InvalidArgumentException.class, () -> hv.deleteSnapshot(missing, "a b")).field());
        assertEquals("diskName", assertThrows(InvalidArgumentException.class, () -> hv.detachDisk(missing, "../x")).field());
        assertEquals("timeout", assertThrows(InvalidArgumentException.class, () -> hv.stopVm(missing, Duration.ofSeconds(-1), null)).field());
        assertEquals("targetUri", assertThrows(InvalidArgumentException.class, () -> hv.migrate(missing, "not a uri", null, null)).field());
        assertEquals("listener", assertThrows(InvalidArgumentException.class, () -> hv.subscribe(null)).field());
        assertNull(null);
    }
}
