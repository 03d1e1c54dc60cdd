package io.limiquantix.node.rpc.internal;

import static io.limiquantix.node.rpc.internal.SpecWriter.str;

import com.google.protobuf.Timestamp;
import io.limiquantix.node.api.ConsoleInfo;
import io.limiquantix.node.api.HypervisorCapabilities;
import io.limiquantix.node.api.MigrationResult;
import io.limiquantix.node.api.OperationProgress;
import io.limiquantix.node.api.SnapshotInfo;
import io.limiquantix.node.api.VmEvent;
import io.limiquantix.node.runtime.BackendView;
import io.limiquantix.node.runtime.PlacementDecision;
import io.limiquantix.node.runtime.VmRecord;
import io.limiquantix.node.rpc.v1.Accelerator;
import io.limiquantix.node.rpc.v1.Backend;
import io.limiquantix.node.rpc.v1.BackendHealth;
import io.limiquantix.node.rpc.v1.Capabilities;
import io.limiquantix.node.rpc.v1.Feature;
import io.limiquantix.node.rpc.v1.GraphicsSpec;
import io.limiquantix.node.rpc.v1.Snapshot;
import io.limiquantix.node.rpc.v1.Vm;
import io.limiquantix.node.rpc.v1.VmState;
import java.time.Instant;

/** API records out: what NodeService answered, as messages. */
final class ReplyMapper {
    private ReplyMapper() {}

    /** Every field (see {@link VmMessages#vm} for the kept messages of listed VMs). */
    static Vm vm(VmRecord r) {
        Vm.Builder b = basic(r);
        if (r.spec() != null) b.setSpec(SpecWriter.vmSpec(r.spec()));
        return b.build();
    }

    /** Every field but the spec (ListVMs' BASIC view). */
    static Vm.Builder basic(VmRecord r) {
        Vm.Builder b = Vm.newBuilder().setId(r.id()).setName(str(r.name())).setBackend(str(r.backend()))
            .setState(state(r.state())).setStateReason(str(r.stateReason())).setAdopted(r.adopted())
            .setPendingOperation(str(r.pendingOperation()));
        if (r.createdAt() != null) b.setCreatedAt(timestamp(r.createdAt()));
        return b;
    }

    static VmState state(io.limiquantix.node.api.VmState s) {
        return ProtoEnums.toProto(s, "VM_STATE_", VmState.class);
    }

    static Backend backend(BackendView v) {
        return Backend.newBuilder().setName(str(v.name())).setType(str(v.type())).setRanking(v.ranking())
            .setServiceId(v.serviceId()).setCapabilities(capabilities(v.capabilities())).setHealth(health(v.health()))
            .setVmCount(v.vmCount()).build();
    }

    private static Capabilities capabilities(HypervisorCapabilities c) {
        Capabilities.Builder b = Capabilities.newBuilder().setBackendType(c.backendType()).setVersion(c.version())
            .setAccelerator(ProtoEnums.toProto(c.accelerator(), "ACCELERATOR_", Accelerator.class))
            .setMaxVcpus(c.maxVcpus()).setMaxMemoryMib(c.maxMemoryMiB()).setCapable(c.capable())
            .setNotCapableReason(str(c.notCapableReason()));
        c.features().stream().sorted().forEach(f -> b.addFeatures(feature(f)));
        return b.build();
    }

    static BackendHealth health(io.limiquantix.node.api.BackendHealth h) {
        return BackendHealth.newBuilder()
            .setStatus(ProtoEnums.toProto(h.status(), "STATUS_", BackendHealth.Status.class))
            .setDetail(h.detail()).setSince(timestamp(h.since())).build();
    }

    private static Feature feature(io.limiquantix.node.api.Feature f) {
        return ProtoEnums.toProto(f, "FEATURE_", Feature.class);
    }

    static io.limiquantix.node.rpc.v1.PlacementDecision decision(PlacementDecision d) {
        io.limiquantix.node.rpc.v1.PlacementDecision.Builder b = io.limiquantix.node.rpc.v1.PlacementDecision.newBuilder()
            .setVmName(str(d.vmName())).setPinned(str(d.pinned())).setChosen(str(d.chosen())).setReason(str(d.reason()));
        if (d.at() != null) b.setAt(timestamp(d.at()));
        if (d.required() != null) d.required().stream().sorted().forEach(f -> b.addRequired(feature(f)));
        if (d.candidates() != null) for (PlacementDecision.Candidate c : d.candidates())
            b.addCandidates(io.limiquantix.node.rpc.v1.PlacementDecision.Candidate.newBuilder()
                .setBackend(str(c.backend())).setRanking(c.ranking()).setEligible(c.eligible()).setReason(str(c.reason())));
        return b.build();
    }

    static Snapshot snapshot(SnapshotInfo s) {
        Snapshot.Builder b = Snapshot.newBuilder().setName(s.name()).setDescription(str(s.description()))
            .setVmState(state(s.vmState())).setIncludesMemory(s.includesMemory()).setExternal(s.external())
            .setParent(str(s.parent())).setCurrent(s.current());
        if (s.createdAt() != null) b.setCreatedAt(timestamp(s.createdAt()));
        return b.build();
    }

    static io.limiquantix.node.rpc.v1.ConsoleInfo console(ConsoleInfo c) {
        return io.limiquantix.node.rpc.v1.ConsoleInfo.newBuilder()
            .setType(ProtoEnums.toProto(c.type(), "TYPE_", GraphicsSpec.Type.class))
            .setHost(str(c.host())).setPort(c.port()).setPassword(str(c.password())).setSerialLog(str(c.serialLog()))
            .build();
    }

    static io.limiquantix.node.rpc.v1.OperationProgress progress(OperationProgress p) {
        io.limiquantix.node.rpc.v1.OperationProgress.Builder b = io.limiquantix.node.rpc.v1.OperationProgress.newBuilder()
            .setOperation(str(p.operation()))
            .setPhase(str(p.phase())).setFraction(p.fraction()).setTotalBytes(p.totalBytes())
            .setProcessedBytes(p.processedBytes()).setRemainingBytes(p.remainingBytes()).setDetail(p.detail());
        if (p.migration() != null) b.setMigration(migrationStats(p.migration()));
        return b.build();
    }

    static io.limiquantix.node.rpc.v1.MigrationStats migrationStats(io.limiquantix.node.api.MigrationStats m) {
        io.limiquantix.node.rpc.v1.MigrationStats.Builder b = io.limiquantix.node.rpc.v1.MigrationStats.newBuilder()
            .setIteration(m.iteration()).setDirtyRatePagesPerSec(m.dirtyRatePagesPerSec()).setPageSizeBytes(m.pageSizeBytes())
            .setBandwidthBytesPerSec(m.bandwidthBytesPerSec()).setDiskTotalBytes(m.diskTotalBytes())
            .setDiskProcessedBytes(m.diskProcessedBytes()).setDiskRemainingBytes(m.diskRemainingBytes())
            .setThrottlePercent(m.throttlePercent()).setPostCopy(m.postCopy());
        if (m.downtime() != null) b.setDowntimeMs(com.google.protobuf.UInt64Value.of(m.downtime().toMillis()));
        return b.build();
    }

    static io.limiquantix.node.rpc.v1.MigrationResult migration(MigrationResult r) {
        io.limiquantix.node.rpc.v1.MigrationResult.Builder b = io.limiquantix.node.rpc.v1.MigrationResult.newBuilder()
            .setVmId(str(r.vmId())).setTarget(str(r.target())).setBytesTransferred(r.bytesTransferred());
        if (r.total() != null) b.setTotalMs(r.total().toMillis());
        if (r.downtime() != null) b.setDowntimeMs(com.google.protobuf.UInt64Value.of(r.downtime().toMillis()));
        return b.build();
    }

    static io.limiquantix.node.rpc.v1.VmEvent event(VmEvent e) {
        return io.limiquantix.node.rpc.v1.VmEvent.newBuilder()
            .setType(ProtoEnums.toProto(e.type(), "TYPE_", io.limiquantix.node.rpc.v1.VmEvent.Type.class))
            .setVmId(str(e.vmId())).setVmName(str(e.vmName())).setBackend(str(e.backend())).setDetail(e.detail())
            .setAt(timestamp(e.at())).build();
    }

    static Timestamp timestamp(Instant i) {
        return Timestamp.newBuilder().setSeconds(i.getEpochSecond()).setNanos(i.getNano()).build();
    }
}
