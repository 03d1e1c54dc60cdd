package io.limiquantix.node.rpc.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.BoolValue;
import io.grpc.stub.StreamObserver;
import io.limiquantix.node.api.BootSource;
import io.limiquantix.node.api.MigrationOptions;
import io.limiquantix.node.api.VmEvent;
import io.limiquantix.node.rpc.v1.AttachDiskRequest;
import io.limiquantix.node.rpc.v1.BackendHealth;
import io.limiquantix.node.rpc.v1.CpuSpec;
import io.limiquantix.node.rpc.v1.CreateSnapshotRequest;
import io.limiquantix.node.rpc.v1.CreateVMRequest;
import io.limiquantix.node.rpc.v1.DiskFormat;
import io.limiquantix.node.rpc.v1.DiskSource;
import io.limiquantix.node.rpc.v1.DiskSpec;
import io.limiquantix.node.rpc.v1.Feature;
import io.limiquantix.node.rpc.v1.GetHealthRequest;
import io.limiquantix.node.rpc.v1.GetHealthResponse;
import io.limiquantix.node.rpc.v1.GetNodeInfoRequest;
import io.limiquantix.node.rpc.v1.GetNodeInfoResponse;
import io.limiquantix.node.rpc.v1.GraphicsSpec;
import io.limiquantix.node.rpc.v1.ListVMsRequest;
import io.limiquantix.node.rpc.v1.MemorySpec;
import io.limiquantix.node.rpc.v1.MigrateVMRequest;
import io.limiquantix.node.rpc.v1.MigrateVMResponse;
import io.limiquantix.node.rpc.v1.MigrationOptions.TimeoutPolicy;
import io.limiquantix.node.rpc.v1.PlaceVMRequest;
import io.limiquantix.node.rpc.v1.PlacementDecision;
import io.limiquantix.node.rpc.v1.Snapshot;
import io.limiquantix.node.rpc.v1.StopVMRequest;
import io.limiquantix.node.rpc.v1.Vm;
import io.limiquantix.node.rpc.v1.VmRequest;
import io.limiquantix.node.rpc.v1.VmSpec;
import io.limiquantix.node.rpc.v1.VmState;
import io.limiquantix.node.rpc.v1.WatchEventsRequest;
import io.limiquantix.node.rpc.v1.WatchEventsResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Every operation through the real service definition: messages map to the right records and back. */
class NodeDaemonEndpointTest {
    private InProcessNode rpc;

    @BeforeEach
    void start() throws Exception {
        rpc = new InProcessNode();
    }

    @AfterEach
    void stop() throws Exception {
        rpc.close();
    }

    static VmSpec.Builder kernelGuest(String name) {
        return VmSpec.newBuilder().setName(name)
            .setCpu(CpuSpec.newBuilder().setVcpus(2))
            .setMemory(MemorySpec.newBuilder().setSizeMib(128))
            .setBoot(io.limiquantix.node.rpc.v1.BootSource.newBuilder()
                .setKind(io.limiquantix.node.rpc.v1.BootSource.Kind.KIND_KERNEL)
                .setKernel("/var/lib/limiquantix/test-guest/vmlinuz")
                .setInitrd("/var/lib/limiquantix/test-guest/initramfs.gz")
                .setCmdline("console=ttyS0 panic=-1"));
    }

    @Test
    void createMapsTheWholeSpecAndAnswersTheRecord() {
        VmSpec spec = kernelGuest("web")
            .addDisks(DiskSpec.newBuilder().setName("root").setBus(DiskSpec.Bus.BUS_SATA)
                .setSource(DiskSource.newBuilder().setKind(DiskSource.Kind.KIND_FILE)
                    .setPath("/var/lib/limiquantix/images/web.qcow2").setFormat(DiskFormat.DISK_FORMAT_QCOW2)))
            .setGraphics(GraphicsSpec.newBuilder().setType(GraphicsSpec.Type.TYPE_VNC))
            .setSerialConsole(BoolValue.of(false))
            .putLabels("tier", "front")
            .build();
        Vm vm = rpc.stub().createVM(CreateVMRequest.newBuilder().setSpec(spec).build());

        io.limiquantix.node.api.VmSpec seen = rpc.node.vms.get(vm.getId()).spec();
        assertEquals("web", seen.name());
        assertEquals(2, seen.cpu().vcpus());
        assertEquals(128, seen.memory().sizeMiB());
        assertEquals(BootSource.Kind.KERNEL, seen.boot().kind());
        assertEquals("console=ttyS0 panic=-1", seen.boot().cmdline());
        assertEquals(io.limiquantix.node.api.DiskSpec.Bus.SATA, seen.disks().get(0).bus());
        assertEquals(io.limiquantix.node.api.storage.DiskSource.Format.QCOW2, seen.disks().get(0).source().format());
        assertEquals(io.limiquantix.node.api.GraphicsSpec.Type.VNC, seen.graphics().type());
        assertFalse(seen.serialConsole());
        assertEquals("front", seen.labels().get("tier"));

        assertEquals(VmState.VM_STATE_STOPPED, vm.getState());
        assertEquals("test", vm.getBackend());
        assertEquals(spec.getDisks(0).toBuilder().setDevice(DiskSpec.Device.DEVICE_DISK).build(), vm.getSpec().getDisks(0),
            "the answer shows the spec as the node keeps it, defaults filled in");
        assertEquals(vm.getId(), vm.getSpec().getId());
        assertFalse(vm.getSpec().getSerialConsole().getValue());
    }

    @Test
    void listVmsViewsAndAnUnknownViewNamesTheField() {
        Vm vm = rpc.stub().createVM(CreateVMRequest.newBuilder().setSpec(kernelGuest("viewed")).build());
        Vm full = rpc.stub().listVMs(ListVMsRequest.getDefaultInstance()).getVms(0);
        assertTrue(full.hasSpec(), "unspecified view is FULL");
        assertEquals(full, rpc.stub().listVMs(ListVMsRequest.newBuilder().setView(io.limiquantix.node.rpc.v1.VmView.VM_VIEW_FULL).build()).getVms(0));
        Vm basic = rpc.stub().listVMs(ListVMsRequest.newBuilder().setView(io.limiquantix.node.rpc.v1.VmView.VM_VIEW_BASIC).build()).getVms(0);
        assertFalse(basic.hasSpec(), "BASIC leaves the spec out");
        assertEquals(full.toBuilder().clearSpec().build(), basic, "and only the spec");
        assertEquals(vm.getSpec(), rpc.stub().getVM(VmRequest.newBuilder().setVm("viewed").build()).getSpec());
        io.grpc.StatusRuntimeException bad = org.junit.jupiter.api.Assertions.assertThrows(io.grpc.StatusRuntimeException.class,
            () -> rpc.stub().listVMs(ListVMsRequest.newBuilder().setViewValue(7).build()));
        assertEquals(io.grpc.Status.Code.INVALID_ARGUMENT, bad.getStatus().getCode());
        assertTrue(bad.getStatus().getDescription().startsWith("view"), bad.getStatus().getDescription());
    }

    @Test
    void abortMigrationReachesTheNodeAndSaysWhetherOneWasRunning() {
        rpc.stub().createVM(CreateVMRequest.newBuilder().setSpec(kernelGuest("moving")).build());
        assertFalse(rpc.stub().abortMigration(VmRequest.newBuilder().setVm("moving").build()).getAborted());
        assertTrue(rpc.node.calls.contains("abortMigration"));
        io.grpc.StatusRuntimeException unknown = org.junit.jupiter.api.Assertions.assertThrows(io.grpc.StatusRuntimeException.class,
            () -> rpc.stub().abortMigration(VmRequest.newBuilder().setVm("nope").build()));
        assertEquals(io.grpc.Status.Code.NOT_FOUND, unknown.getStatus().getCode());
        io.grpc.StatusRuntimeException empty = org.junit.jupiter.api.Assertions.assertThrows(io.grpc.StatusRuntimeException.class,
            () -> rpc.stub().abortMigration(VmRequest.getDefaultInstance()));
        assertEquals(io.grpc.Status.Code.INVALID_ARGUMENT, empty.getStatus().getCode());
    }

    @Test
    void serialConsoleDefaultsToOnWhenNotGiven() {
        Vm vm = rpc.stub().createVM(CreateVMRequest.newBuilder().setSpec(kernelGuest("quiet")).build());
        assertTrue(rpc.node.vms.get(vm.getId()).spec().serialConsole());
        assertTrue(vm.getSpec().getSerialConsole().getValue());
    }

    @Test
    void lifecycleCallsReachTheNodeByIdOrName() {
        Vm vm = rpc.stub().createVM(CreateVMRequest.newBuilder().setSpec(kernelGuest("life")).build());
        VmRequest byName = VmRequest.newBuilder().setVm("life").build();
        VmRequest byId = VmRequest.newBuilder().setVm(vm.getId()).build();
        rpc.stub().startVM(byName);
        assertEquals(VmState.VM_STATE_RUNNING, rpc.stub().getVM(byId).getState());
        rpc.stub().pauseVM(byId);
        assertEquals(VmState.VM_STATE_PAUSED, rpc.stub().getVM(byId).getState());
        rpc.stub().resumeVM(byId);
        rpc.stub().rebootVM(byId);
        rpc.stub().stopVM(StopVMRequest.newBuilder().setVm(vm.getId()).setTimeoutSeconds(7).build());
        assertEquals(Duration.ofSeconds(7), rpc.node.lastStopTimeout);
        rpc.stub().startVM(byId);
        rpc.stub().stopVM(StopVMRequest.newBuilder().setVm(vm.getId()).build());
        assertEquals(NodeDaemonEndpoint.DEFAULT_STOP_TIMEOUT, rpc.node.lastStopTimeout);
        rpc.stub().startVM(byId);
        rpc.stub().forceStopVM(byId);
        assertEquals(1, rpc.stub().listVMs(ListVMsRequest.getDefaultInstance()).getVmsCount());
        rpc.stub().deleteVM(byId);
        assertEquals(0, rpc.stub().listVMs(ListVMsRequest.getDefaultInstance()).getVmsCount());
        assertEquals(List.of("createVm", "startVm", "getVm", "pauseVm", "getVm", "resumeVm", "rebootVm", "stopVm",
            "startVm", "stopVm", "startVm", "forceStopVm", "listVms", "deleteVm", "listVms"), rpc.node.calls);
    }

    @Test
    void snapshotsConsoleAndDisks() {
        Vm vm = rpc.stub().createVM(CreateVMRequest.newBuilder().setSpec(kernelGuest("snap")).build());
        Snapshot s = rpc.stub().createSnapshot(CreateSnapshotRequest.newBuilder().setVm("snap").setName("before")
            .setDescription("first").setIncludeMemory(true).build());
        assertEquals("before", s.getName());
        assertTrue(s.getIncludesMemory());
        assertEquals(VmState.VM_STATE_STOPPED, s.getVmState());
        assertEquals("s1", rpc.stub().listSnapshots(VmRequest.newBuilder().setVm("snap").build()).getSnapshots(0).getName());
        rpc.stub().revertSnapshot(io.limiquantix.node.rpc.v1.SnapshotRequest.newBuilder().setVm("snap").setSnapshot("before").build());
        rpc.stub().deleteSnapshot(io.limiquantix.node.rpc.v1.SnapshotRequest.newBuilder().setVm("snap").setSnapshot("before").build());

        io.limiquantix.node.rpc.v1.ConsoleInfo console = rpc.stub().getConsole(VmRequest.newBuilder().setVm(vm.getId()).build());
        assertEquals(GraphicsSpec.Type.TYPE_VNC, console.getType());
        assertEquals(5901, console.getPort());
        assertEquals("/var/log/serial.log", console.getSerialLog());

        rpc.stub().attachDisk(AttachDiskRequest.newBuilder().setVm("snap").setDisk(DiskSpec.newBuilder().setName("data")
            .setSource(DiskSource.newBuilder().setKind(DiskSource.Kind.KIND_FILE).setPath("/var/lib/limiquantix/images/d.img"))).build());
        assertEquals("data", rpc.node.lastAttached.name());
        assertEquals(io.limiquantix.node.api.DiskSpec.Bus.VIRTIO, rpc.node.lastAttached.bus());
        rpc.stub().detachDisk(io.limiquantix.node.rpc.v1.DetachDiskRequest.newBuilder().setVm("snap").setDiskName("data").build());
        assertTrue(rpc.node.calls.containsAll(List.of("createSnapshot", "listSnapshots", "revertSnapshot", "deleteSnapshot",
            "consoleInfo", "attachDisk", "detachDisk")));
    }

    @Test
    void nodeInfoHealthAndPlacement() {
        GetNodeInfoResponse info = rpc.stub().getNodeInfo(GetNodeInfoRequest.getDefaultInstance());
        assertEquals(2, info.getBackendsCount());
        io.limiquantix.node.rpc.v1.Backend test = info.getBackends(0);
        assertEquals("test", test.getName());
        assertEquals(io.limiquantix.node.rpc.v1.Accelerator.ACCELERATOR_TCG, test.getCapabilities().getAccelerator());
        assertTrue(test.getCapabilities().getFeaturesList().contains(Feature.FEATURE_DIRECT_KERNEL_BOOT));
        assertEquals("no binary", info.getBackends(1).getCapabilities().getNotCapableReason());

        GetHealthResponse health = rpc.stub().getHealth(GetHealthRequest.getDefaultInstance());
        assertTrue(health.getServing());
        assertEquals(1, health.getUsableBackends());
        assertEquals(BackendHealth.Status.STATUS_UNAVAILABLE, health.getBackendsMap().get("away").getStatus());

        PlacementDecision d = rpc.stub().placeVM(PlaceVMRequest.newBuilder().setSpec(kernelGuest("where")).build());
        assertEquals("test", d.getChosen());
        assertEquals("not capable: no binary", d.getCandidates(1).getReason());
        assertFalse(d.getCandidates(1).getEligible());
        assertTrue(rpc.node.vms.isEmpty(), "a dry run creates nothing");
    }

    @Test
    void migrationStreamsProgressThenTheResult() {
        Vm vm = rpc.stub().createVM(CreateVMRequest.newBuilder().setSpec(kernelGuest("mover")).build());
        Iterator<MigrateVMResponse> stream = rpc.stub().migrateVM(MigrateVMRequest.newBuilder().setVm(vm.getId())
            .setTargetUri("qemu+tls://other/system")
            .setOptions(io.limiquantix.node.rpc.v1.MigrationOptions.newBuilder().setLive(true).setMaxDowntimeMs(300)
                .setOnTimeout(TimeoutPolicy.TIMEOUT_POLICY_FORCE_COMPLETE)).build());
        List<MigrateVMResponse> all = new ArrayList<>();
        stream.forEachRemaining(all::add);
        assertEquals(3, all.size());
        assertEquals("copying memory", all.get(0).getProgress().getPhase());
        assertEquals(500, all.get(0).getProgress().getRemainingBytes());
        assertEquals(42, all.get(2).getResult().getDowntimeMs().getValue());
        assertEquals("qemu+tls://other/system", all.get(2).getResult().getTarget());
        assertEquals(Duration.ofMillis(300), rpc.node.lastMigrationOptions.maxDowntime());
        assertEquals(MigrationOptions.TimeoutPolicy.FORCE_COMPLETE, rpc.node.lastMigrationOptions.onTimeout());
    }

    @Test
    void watchEventsAnnouncesTheSubscriptionThenDeliversAndUnsubscribesOnCancel() throws Exception {
        BlockingQueue<WatchEventsResponse> got = new LinkedBlockingQueue<>();
        io.grpc.Context.CancellableContext ctx = io.grpc.Context.current().withCancellation();
        ctx.run(() -> rpc.asyncStub().watchEvents(WatchEventsRequest.getDefaultInstance(), new StreamObserver<>() {
            @Override public void onNext(WatchEventsResponse value) { got.add(value); }
            @Override public void onError(Throwable t) { }
            @Override public void onCompleted() { }
        }));
        WatchEventsResponse first = got.poll(5, TimeUnit.SECONDS);
        assertTrue(first != null && first.hasSubscribed(), "first message must announce the subscription: " + first);
        rpc.node.publish(new VmEvent(VmEvent.Type.STARTED, "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa", "w", "test", "", Instant.EPOCH));
        WatchEventsResponse next = got.poll(5, TimeUnit.SECONDS);
        assertEquals(io.limiquantix.node.rpc.v1.VmEvent.Type.TYPE_STARTED, next.getEvent().getType());
        assertEquals("aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa", next.getEvent().getVmId());
        assertEquals(1, rpc.node.subscribers.size());
        ctx.cancel(null);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!rpc.node.subscribers.isEmpty() && System.nanoTime() < deadline) Thread.sleep(10);
        assertTrue(rpc.node.subscribers.isEmpty(), "cancelling the call must close the node subscription");
    }
}
