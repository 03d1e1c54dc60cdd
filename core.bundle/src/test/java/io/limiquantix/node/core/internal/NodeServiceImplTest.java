package io.limiquantix.node.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.limiquantix.node.api.BackendFailureException;
import io.limiquantix.node.api.BackendUnavailableException;
import io.limiquantix.node.api.ConflictException;
import io.limiquantix.node.api.DiskSpec;
import io.limiquantix.node.api.Feature;
import io.limiquantix.node.api.GpuRequest;
import io.limiquantix.node.api.GuestOs;
import io.limiquantix.node.api.HypervisorException;
import io.limiquantix.node.api.InvalidArgumentException;
import io.limiquantix.node.api.NotFoundException;
import io.limiquantix.node.api.UnsupportedFeatureException;
import io.limiquantix.node.api.VmEvent;
import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.api.VmState;
import io.limiquantix.node.api.storage.DiskSource;
import io.limiquantix.node.runtime.VmRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeServiceImplTest {
    static final String IMAGES = "/var/lib/limiquantix/images";

    @TempDir
    Path tmp;
    Path data;
    Path images;
    NodeServiceImpl node;
    VmLedger ledger;
    final List<VmEvent> events = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    long nextServiceId = 1;

    @BeforeEach
    void start() throws Exception {
        data = tmp.resolve("data");
        images = Files.createDirectories(tmp.resolve("images"));
        node = newNode(Duration.ofMillis(300));
    }

    NodeServiceImpl newNode(Duration backendWait) {
        NodeConfig config = new NodeConfig(data, List.of(images, Path.of(IMAGES)), backendWait, 4);
        ledger = VmLedger.open(data);
        NodeServiceImpl n = new NodeServiceImpl(config, ledger, Duration.ofSeconds(2));
        n.subscribe(events::add);
        return n;
    }

    /** Stops the node as the bundle does (node, then ledger) and starts a new one on the same data. */
    void restart(Duration backendWait) {
        stop();
        node = newNode(backendWait);
    }

    @AfterEach
    void stop() {
        node.close();
        ledger.close();
    }

    InMemoryTestBackend backend(String name, int ranking, InMemoryTestBackend h) throws Exception {
        node.registry().add(name, "memory", ranking, nextServiceId++, h);
        node.reconciliation(name).get(10, TimeUnit.SECONDS);
        return h;
    }

    /** Waits for a matching event among all received so far (events are not consumed). */
    VmEvent awaitEvent(VmEvent.Type type, String vmId) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            synchronized (events) {
                for (VmEvent e : events)
                    if (e.type() == type && (vmId == null || vmId.equals(e.vmId()))) return e;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no " + type + " event for " + vmId + " among " + events);
    }

    static VmSpec.Builder vm(String name) {
        return VmSpec.builder(name).vcpus(2).memoryMiB(1024).fileDisk("root", IMAGES + "/" + name + ".qcow2", DiskSource.Format.QCOW2);
    }

    @Test
    void createLandsOnTheHighestRankedCapableBackend() throws Exception {
        InMemoryTestBackend low = backend("low", 10, InMemoryTestBackend.linux());
        InMemoryTestBackend high = backend("high", 100, InMemoryTestBackend.linux());
        InMemoryTestBackend broken = InMemoryTestBackend.linux();
        broken.capabilities = io.limiquantix.node.api.HypervisorCapabilities.notCapable("cloudhv", "no KVM");
        backend("broken", 1000, broken);

        VmRecord r = node.createVm(vm("web").build());
        assertEquals("high", r.backend());
        assertNotNull(r.id());
        assertNull(r.pendingOperation());
        assertEquals(1, high.created.size());
        assertEquals(r.id(), high.created.get(0).id());
        assertTrue(low.created.isEmpty());
        assertEquals("high", node.recentDecisions().get(0).chosen());
        assertEquals(VmState.STOPPED, node.getVm("web").state());
    }

    @Test
    void windowsVmsAreRefusedWithoutAWindowsBackendAndTheLedgerStaysUnchanged() throws Exception {
        InMemoryTestBackend linux = backend("linux", 100, InMemoryTestBackend.linux());
        UnsupportedFeatureException e = assertThrows(UnsupportedFeatureException.class,
            () -> node.createVm(vm("win").os(GuestOs.windows("win2k22")).build()));
        assertEquals(Feature.WINDOWS_GUEST, e.feature());
        assertTrue(linux.calls.isEmpty());
        assertTrue(node.listVms().isEmpty());
        InMemoryTestBackend win = backend("win", 1, InMemoryTestBackend.with(Feature.WINDOWS_GUEST));
        assertEquals("win", node.createVm(vm("win").os(GuestOs.windows("win2k22")).build()).backend());
        assertEquals(1, win.created.size());
    }

    @Test
    void inputsThatCannotBecomeASpecNameTheFieldAndReachNoBackend() throws Exception {
        InMemoryTestBackend b = backend("qemu", 1, InMemoryTestBackend.linux());
        byte[] ledgerBefore = ledgerBytes();
        assertRefused("name", () -> VmSpec.builder("x</name><devices>").build());
        assertRefused("name", () -> VmSpec.builder("a".repeat(65)).build());
        assertRefused("disks[0].source.path", () -> VmSpec.builder("a").fileDisk("d", "../../etc/shadow", null).build());
        assertRefused("disks[0].source.path",
            () -> VmSpec.builder("a").fileDisk("d", IMAGES + "/../../../etc/shadow", null).build());
        assertRefused("cpu.vcpus", () -> VmSpec.builder("a").vcpus(0).build());
        assertRefused("cpu.vcpus", () -> VmSpec.builder("a").vcpus(100000).build());
        assertRefused("memory.sizeMiB", () -> VmSpec.builder("a").memoryMiB(-1).build());
        assertTrue(b.calls.isEmpty(), "the backend got no call: " + b.calls);
        assertTrue(node.listVms().isEmpty());
        assertTrue(Arrays.equals(ledgerBefore, ledgerBytes()), "the ledger file is unchanged");
    }

    @Test
    void pathsOutsideTheStorageRootsAreRefusedByTheNode() throws Exception {
        InMemoryTestBackend b = backend("qemu", 1, InMemoryTestBackend.linux());
        assertRefused("disks[0].source.path", () -> VmSpec.builder("a").fileDisk("d", "/etc/shadow", null).build());
        assertRefused("disks[1].source.path", () -> vm("a").fileDisk("d", "/var/lib/limiquantix/images2/x", null).build());
        assertRefused("disks[0].source.path", () -> VmSpec.builder("a").fileDisk("d", IMAGES, null).build());
        assertRefused("boot.kernel", () -> vm("a").kernelBoot("/boot/vmlinuz", null, "console=ttyS0").build());
        assertRefused("boot.initrd", () -> vm("a").kernelBoot(IMAGES + "/vmlinuz", "/boot/initrd.img", null).build());
        Path link = images.resolve("escape.qcow2");
        Files.createSymbolicLink(link, Path.of("/etc/passwd"));
        assertRefused("disks[0].source.path", () -> VmSpec.builder("a").fileDisk("d", link.toString(), null).build());
        assertRefused("disks[0].source.provider", () -> VmSpec.builder("a")
            .disk(new DiskSpec("d", DiskSource.volume("nope", "vol"), null, null, false, 0)).build());
        assertRefused("hostDevices", () -> VmSpec.builder("a").build().withHostDevices(List.of(TestDeviceProvider.GPU)));
        assertTrue(b.calls.isEmpty(), "the backend got no call: " + b.calls);
        assertTrue(node.listVms().isEmpty());
        assertFalse(Files.exists(data.resolve("ledger.json")), "nothing was written");
    }

    @Test
    void hotPluggedDisksAreCheckedLikeCreatedOnesAndRemembered() throws Exception {
        InMemoryTestBackend b = backend("qemu", 1, InMemoryTestBackend.linux());
        VmRecord r = node.createVm(vm("web").build());
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
            () -> node.attachDisk("web", DiskSpec.file("evil", "/etc/shadow", null)));
        assertEquals("disk.source.path", e.field());
        assertFalse(b.calls.stream().anyMatch(c -> c.startsWith("attach")), "the backend got no attach call");
        node.attachDisk("web", DiskSpec.file("data", IMAGES + "/data.raw", null));
        assertTrue(b.calls.contains("attach " + r.id() + " data"));
        assertEquals(List.of("root", "data"), node.getVm("web").spec().disks().stream().map(DiskSpec::name).toList());
        node.detachDisk("web", "data");
        assertEquals(List.of("root"), node.getVm("web").spec().disks().stream().map(DiskSpec::name).toList());
    }

    @Test
    void aFileInsideARootIsAccepted() throws Exception {
        backend("qemu", 1, InMemoryTestBackend.linux());
        Files.createFile(images.resolve("ok.qcow2"));
        VmRecord r = node.createVm(VmSpec.builder("ok").fileDisk("d", images.resolve("ok.qcow2").toString(), null)
            .kernelBoot(IMAGES + "/vmlinuz", IMAGES + "/initrd", null).build());
        assertEquals("qemu", r.backend());
    }

    @Test
    void namesAreUniqueAndVmsResolveByIdOrName() throws Exception {
        InMemoryTestBackend b = backend("qemu", 1, InMemoryTestBackend.linux());
        VmRecord r = node.createVm(vm("web").build());
        assertThrows(ConflictException.class, () -> node.createVm(vm("web").build()));
        assertEquals(1, b.created.size());
        assertEquals(r.id(), node.getVm("web").id());
        assertEquals("web", node.getVm(r.id()).name());
        assertThrows(NotFoundException.class, () -> node.getVm("nope"));
        assertThrows(NotFoundException.class, () -> node.startVm("nope"));
    }

    @Test
    void aFailedBackendCreateLeavesNoLedgerEntryAndNoReservation() throws Exception {
        InMemoryTestBackend b = backend("qemu", 1, InMemoryTestBackend.with(Feature.GPU_PASSTHROUGH));
        TestDeviceProvider gpus = new TestDeviceProvider();
        node.providers().addDeviceProvider(gpus);
        b.createFailure = new BackendFailureException("libvirt: XML error", null);
        VmSpec spec = vm("gpu").gpu(new GpuRequest("0000:01:00.0", null, null, 1)).build();
        assertThrows(BackendFailureException.class, () -> node.createVm(spec));
        assertEquals(1, b.calls.size(), "the backend was asked");
        assertTrue(node.listVms().isEmpty());
        assertTrue(gpus.reserved.isEmpty(), "the GPU was released");
        restart(Duration.ofMillis(300));
        assertTrue(node.listVms().isEmpty(), "nothing is left on disk either");
    }

    @Test
    void gpusAreReservedAndReleasedWithTheVm() throws Exception {
        InMemoryTestBackend b = backend("qemu", 1, InMemoryTestBackend.with(Feature.GPU_PASSTHROUGH));
        VmSpec spec = vm("gpu").gpu(new GpuRequest("0000:01:00.0", null, null, 1)).build();
        assertThrows(UnsupportedFeatureException.class, () -> node.createVm(spec), "no device provider present");
        assertTrue(node.listVms().isEmpty());
        TestDeviceProvider gpus = new TestDeviceProvider();
        node.providers().addDeviceProvider(gpus);
        VmRecord r = node.createVm(spec);
        assertEquals(List.of(TestDeviceProvider.GPU), b.created.get(0).hostDevices());
        assertEquals(List.of(TestDeviceProvider.GPU), r.spec().hostDevices());
        assertTrue(gpus.reserved.containsKey(r.id()));
        node.deleteVm("gpu");
        assertTrue(gpus.reserved.isEmpty());
        assertTrue(b.vms.isEmpty());
        assertThrows(NotFoundException.class, () -> node.getVm("gpu"));
    }

    @Test
    void volumesAreResolvedForTheBackendAndKeptAsVolumesInTheLedger() throws Exception {
        InMemoryTestBackend b = backend("qemu", 1, InMemoryTestBackend.with(Feature.RBD_DISK));
        node.providers().addVolumeProvider(new TestVolumeProvider("ceph", Feature.RBD_DISK));
        VmRecord r = node.createVm(VmSpec.builder("v").disk(new DiskSpec("d", DiskSource.volume("ceph", "pool/img"), null, null,
            false, 0)).build());
        assertEquals(DiskSource.Kind.NETWORK, b.created.get(0).disks().get(0).source().kind());
        assertEquals(DiskSource.Kind.VOLUME, r.spec().disks().get(0).source().kind());
        HypervisorException e = assertThrows(NotFoundException.class, () -> node.createVm(VmSpec.builder("w")
            .disk(new DiskSpec("d", DiskSource.volume("ceph", "missing-vol"), null, null, false, 0)).build()));
        assertTrue(e.getMessage().contains("missing-vol"));
        assertEquals(1, node.listVms().size());
    }

    @Test
    void aVmWhoseStorageCannotBeReachedIsNotStarted() throws Exception {
        InMemoryTestBackend b = backend("qemu", 1, InMemoryTestBackend.with(Feature.RBD_DISK));
        TestVolumeProvider ceph = new TestVolumeProvider("ceph", Feature.RBD_DISK);
        node.providers().addVolumeProvider(ceph);
        VmRecord r = node.createVm(VmSpec.builder("v").disk(new DiskSpec("d", DiskSource.volume("ceph", "pool/img"), null, null,
            false, 0)).build());
        ceph.unreachable = true;
        HypervisorException e = assertThrows(io.limiquantix.node.api.BackendUnavailableException.class, () -> node.startVm("v"));
        assertTrue(e.getMessage().contains("disks[0]"), e.getMessage());
        assertFalse(b.calls.contains("start " + r.id()), "the backend must not be asked to start: " + b.calls);
        ceph.unreachable = false;
        node.startVm("v");
        assertTrue(b.calls.contains("start " + r.id()));
    }

    @Test
    void operationsGoToTheOwningBackendAndClearTheirMarker() throws Exception {
        InMemoryTestBackend b = backend("qemu", 1, InMemoryTestBackend.linux());
        VmRecord r = node.createVm(vm("web").build());
        node.startVm("web");
        assertEquals(VmState.RUNNING, node.getVm(r.id()).state());
        assertNull(node.getVm("web").pendingOperation());
        assertThrows(ConflictException.class, () -> node.deleteVm("web"), "a running VM is not deleted");
        assertTrue(node.getVm("web") != null, "and stays in the ledger");
        node.stopVm("web", Duration.ofSeconds(5), null);
        node.deleteVm("web");
        assertEquals(List.of("create " + r.id(), "start " + r.id(), "delete " + r.id(), "stop " + r.id(), "delete " + r.id()),
            b.calls);
        assertTrue(node.listVms().isEmpty());
    }

    @Test
    void aRemovedBackendsVmsShowBackendAwayAndNewVmsGoElsewhere() throws Exception {
        InMemoryTestBackend primary = backend("primary", 100, InMemoryTestBackend.linux());
        backend("secondary", 10, InMemoryTestBackend.linux());
        VmRecord r = node.createVm(vm("web").build());
        node.startVm("web");
        assertEquals("primary", r.backend());

        node.registry().remove(1);
        awaitEvent(VmEvent.Type.BACKEND_DOWN, null);
        assertEquals(VmState.BACKEND_AWAY, node.getVm("web").state());
        assertEquals(VmState.BACKEND_AWAY, node.listVms().get(0).state());
        assertEquals(VmState.RUNNING, primary.vms.get(r.id()).state(), "the VM itself was not touched");

        assertEquals("secondary", node.createVm(vm("db").build()).backend());

        BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> node.stopVm("web", null, null));
        assertTrue(e.getMessage().contains("'primary'"), e.getMessage());
        assertFalse(primary.calls.contains("stop " + r.id()));
    }

    @Test
    void aCallWaitsForItsBackendToReturn() throws Exception {
        restart(Duration.ofSeconds(20));
        InMemoryTestBackend b = backend("qemu", 1, InMemoryTestBackend.linux());
        VmRecord r = node.createVm(vm("web").build());
        node.registry().remove(1);
        Thread returner = new Thread(() -> {
            while (node.registry().parkedCalls("qemu") == 0) Thread.onSpinWait();
            node.registry().add("qemu", "memory", 1, 99, b);
        });
        returner.start();
        node.startVm("web");
        returner.join();
        assertEquals(VmState.RUNNING, b.vms.get(r.id()).state());
    }

    @Test
    void aReturningBackendIsReconciledWithoutDuplicates() throws Exception {
        InMemoryTestBackend b = backend("qemu", 1, InMemoryTestBackend.linux());
        VmRecord kept = node.createVm(vm("kept").build());
        VmRecord lost = node.createVm(vm("lost").build());
        node.registry().remove(1);

        b.vms.remove(lost.id());
        b.define("aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa", "stranger", VmState.RUNNING);
        backend("qemu", 1, b);

        VmEvent adopted = awaitEvent(VmEvent.Type.ADOPTED, "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa");
        assertEquals("qemu", adopted.backend());
        awaitEvent(VmEvent.Type.MISSING, lost.id());

        List<VmRecord> all = node.listVms();
        assertEquals(3, all.size(), "no duplicates: " + all);
        VmRecord again = node.getVm("kept");
        assertEquals(kept.id(), again.id());
        assertEquals(kept.spec(), again.spec());
        assertEquals(VmState.STOPPED, again.state());
        VmRecord stranger = node.getVm("stranger");
        assertTrue(stranger.adopted());
        assertNull(stranger.spec());
        assertEquals(VmState.RUNNING, stranger.state());
        assertEquals(VmState.MISSING, node.getVm("lost").state(), "kept in the ledger, flagged missing");

        node.registry().update("qemu", "memory", 5, 3, b);
        node.reconciliation("qemu").get(10, TimeUnit.SECONDS);
        assertEquals(3, node.listVms().size(), "reconciling again changes nothing");
    }

    @Test
    void aBackendThatCannotListYetIsReconciledOnceItCan() throws Exception {
        InMemoryTestBackend connecting = InMemoryTestBackend.linux();
        connecting.define("cccccccc-cccc-4ccc-8ccc-cccccccccccc", "existing", VmState.RUNNING);
        connecting.queryFailure = new BackendUnavailableException("not connected yet");
        backend("qemu", 1, connecting);
        assertTrue(node.listVms().isEmpty(), "nothing adopted from a failed listing");
        connecting.queryFailure = null;
        awaitEvent(VmEvent.Type.ADOPTED, "cccccccc-cccc-4ccc-8ccc-cccccccccccc");
        assertEquals(VmState.RUNNING, node.getVm("existing").state());
    }

    @Test
    void vmsInTheLedgerSurviveARestartAndAreReAdoptedFromIt() throws Exception {
        InMemoryTestBackend b = backend("qemu", 1, InMemoryTestBackend.linux());
        VmRecord r = node.createVm(vm("web").build());
        restart(Duration.ofMillis(300));
        assertEquals(VmState.BACKEND_AWAY, node.getVm("web").state());
        backend("qemu", 1, b);
        VmRecord back = node.getVm("web");
        assertEquals(r.id(), back.id());
        assertEquals(r.spec(), back.spec());
        assertFalse(back.adopted());
        assertEquals(1, node.listVms().size());
    }

    @Test
    void interruptedOperationsAreReportedAndSettledByReconciliation() throws Exception {
        InMemoryTestBackend b = backend("qemu", 1, InMemoryTestBackend.linux());
        VmRecord started = node.createVm(vm("started").build());
        stop();
        try (VmLedger ledger = VmLedger.open(data)) {
            ledger.update(started.id(), e -> e.withPending("start"));
            VmSpec ghost = vm("ghost").build().withId("bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb");
            ledger.insert(VmEntry.created(ghost, "qemu", null), true);
        }
        events.clear();
        node = newNode(Duration.ofMillis(300));
        VmEvent reported = awaitEvent(VmEvent.Type.OPERATION_INTERRUPTED, started.id());
        assertTrue(reported.detail().contains("'start'"), reported.detail());
        awaitEvent(VmEvent.Type.OPERATION_INTERRUPTED, "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb");
        assertEquals("start", node.getVm("started").pendingOperation());
        assertEquals("create", node.getVm("ghost").pendingOperation());
        assertEquals(VmState.BACKEND_AWAY, node.getVm("ghost").state());

        backend("qemu", 1, b);
        assertNull(node.getVm("started").pendingOperation(), "the backend has the VM: settled");
        VmRecord ghost = node.getVm("ghost");
        assertEquals("create", ghost.pendingOperation(), "an interrupted create the backend lacks stays visible");
        assertEquals(VmState.MISSING, ghost.state());
        node.deleteVm("ghost");
        assertThrows(NotFoundException.class, () -> node.getVm("ghost"));
    }

    @Test
    void aFailingListingOrStatusShowsUnknownInsteadOfFailing() throws Exception {
        InMemoryTestBackend b = backend("qemu", 1, InMemoryTestBackend.linux());
        node.createVm(vm("web").build());
        b.queryFailure = new BackendFailureException("libvirt: connection reset", null);
        VmRecord listed = node.listVms().get(0);
        assertEquals(VmState.UNKNOWN, listed.state());
        assertTrue(listed.stateReason().contains("connection reset"), listed.stateReason());
        b.queryFailure = new IllegalStateException("a backend bug");
        VmRecord one = node.getVm("web");
        assertEquals(VmState.UNKNOWN, one.state());
        assertTrue(one.stateReason().contains("a backend bug"), one.stateReason());
    }

    @Test
    void backendEventsReachSubscribersAndUpdateTheLedgerDespiteBadSubscribers() throws Exception {
        InMemoryTestBackend b = backend("qemu", 1, InMemoryTestBackend.linux());
        VmRecord r = node.createVm(vm("web").build());
        java.util.concurrent.CountDownLatch stuck = new java.util.concurrent.CountDownLatch(1);
        node.subscribe(e -> { throw new IllegalStateException("bad subscriber"); });
        node.subscribe(e -> {
            try {
                stuck.await();
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        });
        events.clear();
        b.vms.put(r.id(), new io.limiquantix.node.api.VmStatus(r.id(), "web", VmState.RUNNING, "", 2, 1024, 1));
        b.emit(new VmEvent(VmEvent.Type.STARTED, r.id(), "web", "whatever", "booted", null));
        b.emit(new VmEvent(VmEvent.Type.PAUSED, r.id(), "web", "whatever", "", null));
        VmEvent started = awaitEvent(VmEvent.Type.STARTED, r.id());
        assertEquals("qemu", started.backend(), "events carry the backend's registered name");
        awaitEvent(VmEvent.Type.PAUSED, r.id());
        stuck.countDown();
        restart(Duration.ofMillis(300));
        assertEquals(VmState.PAUSED, ledger.get(r.id()).orElseThrow().lastKnownState(), "written at the ledger's close");
    }

    @Test
    void backendsViewShowsEachBackendWithItsVmCount() throws Exception {
        backend("qemu", 100, InMemoryTestBackend.linux());
        backend("test", 1, InMemoryTestBackend.linux());
        node.createVm(vm("web").build());
        var views = node.backends();
        assertEquals(List.of("qemu", "test"), views.stream().map(v -> v.name()).toList());
        assertEquals(1, views.get(0).vmCount());
        assertEquals(0, views.get(1).vmCount());
        assertTrue(views.get(0).capabilities().capable());
    }

    private byte[] ledgerBytes() throws Exception {
        Path f = data.resolve("ledger.json");
        return Files.exists(f) ? Files.readAllBytes(f) : new byte[0];
    }

    /** Builds the spec the way a front end would and hands it to the node; the refusal must name {@code field}. */
    private void assertRefused(String field, Supplier<VmSpec> input) {
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> node.createVm(input.get()));
        assertEquals(field, e.field(), e.getMessage());
    }
}
