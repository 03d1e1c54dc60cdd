package io.limiquantix.node.rpc.internal;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.limiquantix.node.api.InvalidArgumentException;
import io.limiquantix.node.api.MigrationResult;
import io.limiquantix.node.runtime.BackendView;
import io.limiquantix.node.runtime.NodeService;
import io.limiquantix.node.rpc.v1.AttachDiskRequest;
import io.limiquantix.node.rpc.v1.ConsoleInfo;
import io.limiquantix.node.rpc.v1.CreateSnapshotRequest;
import io.limiquantix.node.rpc.v1.CreateVMRequest;
import io.limiquantix.node.rpc.v1.DetachDiskRequest;
import io.limiquantix.node.rpc.v1.GetHealthRequest;
import io.limiquantix.node.rpc.v1.GetHealthResponse;
import io.limiquantix.node.rpc.v1.GetNodeInfoRequest;
import io.limiquantix.node.rpc.v1.GetNodeInfoResponse;
import io.limiquantix.node.rpc.v1.ListPlacementDecisionsRequest;
import io.limiquantix.node.rpc.v1.ListPlacementDecisionsResponse;
import io.limiquantix.node.rpc.v1.ListSnapshotsResponse;
import io.limiquantix.node.rpc.v1.ListVMsRequest;
import io.limiquantix.node.rpc.v1.ListVMsResponse;
import io.limiquantix.node.rpc.v1.MigrateVMRequest;
import io.limiquantix.node.rpc.v1.MigrateVMResponse;
import io.limiquantix.node.rpc.v1.NodeDaemonServiceGrpc;
import io.limiquantix.node.rpc.v1.OperationDone;
import io.limiquantix.node.rpc.v1.PlaceVMRequest;
import io.limiquantix.node.rpc.v1.PlacementDecision;
import io.limiquantix.node.rpc.v1.Snapshot;
import io.limiquantix.node.rpc.v1.SnapshotRequest;
import io.limiquantix.node.rpc.v1.StopVMRequest;
import io.limiquantix.node.rpc.v1.Vm;
import io.limiquantix.node.rpc.v1.VmRequest;
import io.limiquantix.node.rpc.v1.WatchEventsRequest;
import io.limiquantix.node.rpc.v1.WatchEventsResponse;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

/**
 * The gRPC front end: each method maps its request to API records, makes one NodeService call and maps the
 * answer back. No rule lives here; the only decisions are representational (a stop timeout of 0 means the
 * default). NodeService is looked up per call, so a core bundle that is updated while the server runs is
 * picked up without restarting the server.
 */
final class NodeDaemonEndpoint extends NodeDaemonServiceGrpc.NodeDaemonServiceImplBase {
    static final Duration DEFAULT_STOP_TIMEOUT = Duration.ofSeconds(120);
    static final long MAX_STOP_TIMEOUT_SECONDS = 24 * 3600;

    private final Supplier<NodeService> node;
    private final ConsoleTickets consoles;
    /** The spec messages of the VMs last listed, so an unchanged spec is not converted again on every call. */
    private final VmMessages specs = new VmMessages();

    NodeDaemonEndpoint(Supplier<NodeService> node) {
        this(node, new ConsoleTickets());
    }

    /** With the tickets the console WebSocket proxy redeems ({@code CreateConsoleSession}). */
    NodeDaemonEndpoint(Supplier<NodeService> node, ConsoleTickets consoles) {
        this.node = node;
        this.consoles = consoles;
    }

    @FunctionalInterface
    private interface Call<T> {
        T run(NodeService node);
    }

    private <T> void unary(StreamObserver<T> out, Call<T> call) {
        T reply;
        try {
            reply = call.run(node.get());
        } catch (RuntimeException e) {
            out.onError(ErrorMapping.toStatus(e));
            return;
        }
        out.onNext(reply);
        out.onCompleted();
    }

    private void done(StreamObserver<OperationDone> out, java.util.function.Consumer<NodeService> call) {
        unary(out, n -> {
            call.accept(n);
            return OperationDone.getDefaultInstance();
        });
    }

    private static String vm(String value) {
        if (value.isEmpty()) throw new InvalidArgumentException("vm", "is required (the VM's id or name)");
        return value;
    }

    @Override
    public void getHealth(GetHealthRequest request, StreamObserver<GetHealthResponse> out) {
        unary(out, n -> {
            GetHealthResponse.Builder b = GetHealthResponse.newBuilder().setServing(true);
            for (BackendView v : n.backends()) {
                b.putBackends(v.name(), ReplyMapper.health(v.health()));
                if (v.capabilities().capable() && v.health().isHealthy()) b.setUsableBackends(b.getUsableBackends() + 1);
            }
            return b.build();
        });
    }

    @Override
    public void getNodeInfo(GetNodeInfoRequest request, StreamObserver<GetNodeInfoResponse> out) {
        unary(out, n -> {
            GetNodeInfoResponse.Builder b = GetNodeInfoResponse.newBuilder();
            n.backends().forEach(v -> b.addBackends(ReplyMapper.backend(v)));
            return b.build();
        });
    }

    @Override
    public void placeVM(PlaceVMRequest request, StreamObserver<PlacementDecision> out) {
        unary(out, n -> {
            io.limiquantix.node.api.VmSpec spec = spec(request.hasSpec(), request.getSpec());
            return ReplyMapper.decision(SpecMapper.part("spec", () -> n.place(spec)));
        });
    }

    @Override
    public void listPlacementDecisions(ListPlacementDecisionsRequest request, StreamObserver<ListPlacementDecisionsResponse> out) {
        unary(out, n -> {
            ListPlacementDecisionsResponse.Builder b = ListPlacementDecisionsResponse.newBuilder();
            n.recentDecisions().forEach(d -> b.addDecisions(ReplyMapper.decision(d)));
            return b.build();
        });
    }

    @Override
    public void createVM(CreateVMRequest request, StreamObserver<Vm> out) {
        // The node's own refusals of a spec (storage roots, names in use) name fields relative to the spec too.
        unary(out, n -> {
            io.limiquantix.node.api.VmSpec spec = spec(request.hasSpec(), request.getSpec());
            return ReplyMapper.vm(SpecMapper.part("spec", () -> n.createVm(spec)));
        });
    }

    private static io.limiquantix.node.api.VmSpec spec(boolean present, io.limiquantix.node.rpc.v1.VmSpec spec) {
        if (!present) throw new InvalidArgumentException("spec", "is required");
        return SpecMapper.part("spec", () -> SpecMapper.vmSpec(spec));
    }

    @Override
    public void getVM(VmRequest request, StreamObserver<Vm> out) {
        unary(out, n -> specs.vm(n.getVm(vm(request.getVm()))));
    }

    @Override
    public void listVMs(ListVMsRequest request, StreamObserver<ListVMsResponse> out) {
        unary(out, n -> {
            boolean full = switch (request.getView()) {
                case VM_VIEW_UNSPECIFIED, VM_VIEW_FULL -> true;
                case VM_VIEW_BASIC -> false;
                default -> throw new InvalidArgumentException("view", "unknown view " + request.getViewValue()
                    + " (VM_VIEW_FULL or VM_VIEW_BASIC)");
            };
            ListVMsResponse.Builder b = ListVMsResponse.newBuilder();
            List<io.limiquantix.node.runtime.VmRecord> all = n.listVms();
            if (full) specs.retainOnly(all);
            for (io.limiquantix.node.runtime.VmRecord r : all) b.addVms(full ? specs.vm(r) : ReplyMapper.basic(r).build());
            return b.build();
        });
    }

    @Override
    public void startVM(VmRequest request, StreamObserver<OperationDone> out) {
        done(out, n -> n.startVm(vm(request.getVm())));
    }

    @Override
    public void stopVM(StopVMRequest request, StreamObserver<OperationDone> out) {
        done(out, n -> {
            long seconds = SpecMapper.u32("timeoutSeconds", request.getTimeoutSeconds());
            if (seconds > MAX_STOP_TIMEOUT_SECONDS)
                throw new InvalidArgumentException("timeoutSeconds", "must be at most " + MAX_STOP_TIMEOUT_SECONDS);
            n.stopVm(vm(request.getVm()), seconds == 0 ? DEFAULT_STOP_TIMEOUT : Duration.ofSeconds(seconds),
                io.limiquantix.node.api.ProgressListener.NONE);
        });
    }

    @Override
    public void forceStopVM(VmRequest request, StreamObserver<OperationDone> out) {
        done(out, n -> n.forceStopVm(vm(request.getVm())));
    }

    @Override
    public void rebootVM(VmRequest request, StreamObserver<OperationDone> out) {
        done(out, n -> n.rebootVm(vm(request.getVm())));
    }

    @Override
    public void pauseVM(VmRequest request, StreamObserver<OperationDone> out) {
        done(out, n -> n.pauseVm(vm(request.getVm())));
    }

    @Override
    public void resumeVM(VmRequest request, StreamObserver<OperationDone> out) {
        done(out, n -> n.resumeVm(vm(request.getVm())));
    }

    @Override
    public void deleteVM(VmRequest request, StreamObserver<OperationDone> out) {
        done(out, n -> n.deleteVm(vm(request.getVm())));
    }

    @Override
    public void createSnapshot(CreateSnapshotRequest request, StreamObserver<Snapshot> out) {
        unary(out, n -> ReplyMapper.snapshot(n.createSnapshot(vm(request.getVm()), SpecMapper.snapshot(request),
            io.limiquantix.node.api.ProgressListener.NONE)));
    }

    @Override
    public void revertSnapshot(SnapshotRequest request, StreamObserver<OperationDone> out) {
        done(out, n -> n.revertSnapshot(vm(request.getVm()), snapshot(request), io.limiquantix.node.api.ProgressListener.NONE));
    }

    @Override
    public void deleteSnapshot(SnapshotRequest request, StreamObserver<OperationDone> out) {
        done(out, n -> n.deleteSnapshot(vm(request.getVm()), snapshot(request)));
    }

    private static String snapshot(SnapshotRequest request) {
        if (request.getSnapshot().isEmpty()) throw new InvalidArgumentException("snapshot", "is required");
        return request.getSnapshot();
    }

    @Override
    public void listSnapshots(VmRequest request, StreamObserver<ListSnapshotsResponse> out) {
        unary(out, n -> {
            ListSnapshotsResponse.Builder b = ListSnapshotsResponse.newBuilder();
            n.listSnapshots(vm(request.getVm())).forEach(s -> b.addSnapshots(ReplyMapper.snapshot(s)));
            return b.build();
        });
    }

    @Override
    public void getConsole(VmRequest request, StreamObserver<ConsoleInfo> out) {
        unary(out, n -> ReplyMapper.console(n.consoleInfo(vm(request.getVm()))));
    }

    @Override
    public void createConsoleSession(io.limiquantix.node.rpc.v1.CreateConsoleSessionRequest request,
                                     StreamObserver<io.limiquantix.node.rpc.v1.ConsoleSession> out) {
        unary(out, n -> {
            ConsoleProxy.Session s = ConsoleProxy.issue(n, consoles, vm(request.getVm()));
            return io.limiquantix.node.rpc.v1.ConsoleSession.newBuilder().setPath(s.path()).setToken(s.ticket().token())
                .setExpiresAt(ReplyMapper.timestamp(s.ticket().expiresAt())).setVmId(s.ticket().vmId())
                .setType(ProtoEnums.toProto(s.type(), "TYPE_", io.limiquantix.node.rpc.v1.GraphicsSpec.Type.class)).build();
        });
    }

    @Override
    public void readSerialConsole(io.limiquantix.node.rpc.v1.ReadSerialConsoleRequest request,
                                  StreamObserver<io.limiquantix.node.rpc.v1.SerialConsoleChunk> out) {
        unary(out, n -> SerialConsoleReader.read(n, vm(request.getVm()), request.getOffset(), request.getMaxBytes()));
    }

    // Bundle deployment (deploy.bundle's DeployService; DeployCalls is loaded only when these are called).
    @Override
    public void deployBundle(io.limiquantix.node.rpc.v1.DeployBundleRequest request,
                             StreamObserver<io.limiquantix.node.rpc.v1.BundleInfo> out) {
        unary(out, n -> deployCall(() -> DeployCalls.deploy(request)));
    }

    @Override
    public void undeployBundle(io.limiquantix.node.rpc.v1.UndeployBundleRequest request,
                               StreamObserver<io.limiquantix.node.rpc.v1.BundleInfo> out) {
        unary(out, n -> deployCall(() -> DeployCalls.undeploy(request)));
    }

    @Override
    public void listBundles(io.limiquantix.node.rpc.v1.ListBundlesRequest request,
                            StreamObserver<io.limiquantix.node.rpc.v1.ListBundlesResponse> out) {
        unary(out, n -> deployCall(DeployCalls::list));
    }

    /** The deploy API package is imported optionally: unwired, these calls are UNAVAILABLE, not a crash. */
    private static <T> T deployCall(Supplier<T> call) {
        try {
            return call.get();
        } catch (LinkageError e) {
            throw io.grpc.Status.UNAVAILABLE.withDescription("bundle deployment is not available to the API bundle: " + e)
                .asRuntimeException();
        }
    }

    @Override
    public void attachDisk(AttachDiskRequest request, StreamObserver<OperationDone> out) {
        done(out, n -> {
            if (!request.hasDisk()) throw new InvalidArgumentException("disk", "is required");
            n.attachDisk(vm(request.getVm()), SpecMapper.part("disk", () -> SpecMapper.disk(request.getDisk())));
        });
    }

    @Override
    public void detachDisk(DetachDiskRequest request, StreamObserver<OperationDone> out) {
        done(out, n -> {
            if (request.getDiskName().isEmpty()) throw new InvalidArgumentException("diskName", "is required");
            n.detachDisk(vm(request.getVm()), request.getDiskName());
        });
    }

    @Override
    public void migrateVM(MigrateVMRequest request, StreamObserver<MigrateVMResponse> out) {
        ServerCallStreamObserver<MigrateVMResponse> call = (ServerCallStreamObserver<MigrateVMResponse>) out;
        MigrationStream stream = new MigrationStream(call);
        MigrationResult result;
        try {
            if (request.getTargetUri().isEmpty()) throw new InvalidArgumentException("targetUri", "is required");
            result = node.get().migrate(vm(request.getVm()), request.getTargetUri(),
                SpecMapper.part("options", () -> SpecMapper.migration(request.getOptions())), stream);
        } catch (RuntimeException e) {
            stream.fail(ErrorMapping.toStatus(e));
            return;
        }
        stream.finish(result);
    }

    @Override
    public void abortMigration(VmRequest request, StreamObserver<io.limiquantix.node.rpc.v1.AbortMigrationResponse> out) {
        unary(out, n -> io.limiquantix.node.rpc.v1.AbortMigrationResponse.newBuilder()
            .setAborted(n.abortMigration(vm(request.getVm()))).build());
    }

    @Override
    public void watchEvents(WatchEventsRequest request, StreamObserver<WatchEventsResponse> out) {
        EventStream.open(node.get(), (ServerCallStreamObserver<WatchEventsResponse>) out);
    }
}
