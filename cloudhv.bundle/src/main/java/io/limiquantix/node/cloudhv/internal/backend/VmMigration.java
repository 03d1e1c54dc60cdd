package io.limiquantix.node.cloudhv.internal.backend;

import io.limiquantix.node.api.Feature;
import io.limiquantix.node.api.InvalidArgumentException;
import io.limiquantix.node.api.MigrationOptions;
import io.limiquantix.node.api.MigrationResult;
import io.limiquantix.node.api.OperationProgress;
import io.limiquantix.node.api.ProgressListener;
import io.limiquantix.node.api.UnsupportedFeatureException;
import io.limiquantix.node.api.VmEvent;
import io.limiquantix.node.cloudhv.internal.chapi.ChRequests;
import io.limiquantix.node.cloudhv.internal.chapi.ChTypes.SendMigrationData;
import java.time.Duration;
import java.time.Instant;
import java.util.regex.Pattern;

/**
 * Sends a running VM to a Cloud Hypervisor that is already waiting for it ({@code vm.receive-migration} on
 * the destination, at {@code tcp:<host>:<port>}). Preparing that receiver is the destination node's job and
 * the Hypervisor contract has no call for it, which is why this backend does not advertise LIVE_MIGRATION:
 * placement never counts on it. What CH cannot do is refused: copying storage, TLS through this API.
 */
final class VmMigration {
    static final Pattern LISTEN = Pattern.compile("tcp:(0\\.0\\.0\\.0|[A-Za-z0-9.-]{1,253}|\\[[0-9a-fA-F:]{2,39}\\]):[0-9]{1,5}");
    static final Pattern TARGET = Pattern.compile("tcp:[A-Za-z0-9.-]{1,253}:[0-9]{1,5}|tcp:\\[[0-9a-fA-F:]{2,39}\\]:[0-9]{1,5}");

    private VmMigration() {}

    /**
     * The destination side, outside the Hypervisor contract (which has no call for it): the VM must be defined
     * here (same spec) and stopped; a fresh VMM waits on {@code listenUri} until the source has sent the VM,
     * which then runs here. Blocks for as long as the migration takes, up to {@code within}.
     */
    static void receive(ManagedVm vm, String listenUri, Duration within) {
        if (listenUri == null || !LISTEN.matcher(listenUri).matches())
            throw new InvalidArgumentException("listenUri", "must be tcp:<address>:<port> to listen on");
        synchronized (vm) {
            if (vm.running()) throw new io.limiquantix.node.api.ConflictException("VM " + vm.id() + " is running here already");
            io.limiquantix.node.cloudhv.internal.vmm.VmmProcess fresh;
            vm.ensureTaps();
            try {
                fresh = vm.ctx().requireLauncher().launch(vm.dir().socket(), vm.dir().vmmLog());
            } catch (java.io.IOException e) {
                throw new io.limiquantix.node.api.BackendFailureException("cannot start a VMM to receive VM " + vm.id() + ": " + e.getMessage(), e);
            }
            vm.runWith(fresh);
            try {
                vm.ctx().api().send(vm.dir().socket(), new ChRequests.VmReceiveMigration(listenUri), within);
            } catch (io.limiquantix.node.cloudhv.internal.chapi.ChApiException e) {
                vm.stopQuietly();
                throw VmContext.translate("vm.receive-migration of VM " + vm.id(), e);
            }
            vm.ctx().events().publish(VmEvent.Type.STARTED, vm.id(), vm.spec().name(), "received by migration on " + listenUri);
        }
    }

    static MigrationResult send(ManagedVm vm, String targetUri, MigrationOptions options, ProgressListener progress) {
        if (targetUri == null || !TARGET.matcher(targetUri).matches())
            throw new InvalidArgumentException("targetUri", "must be tcp:<host>:<port> of a Cloud Hypervisor waiting in vm.receive-migration");
        MigrationOptions o = options == null ? MigrationOptions.liveDefaults() : options;
        if (o.copyStorage()) throw new UnsupportedFeatureException(Feature.STORAGE_MIGRATION, "Cloud Hypervisor does not copy disks; use shared storage");
        if (o.postCopy()) throw new UnsupportedFeatureException(Feature.POST_COPY_MIGRATION, "post-copy migration is not offered by this backend");
        if (o.tls()) throw new UnsupportedFeatureException(Feature.LIVE_MIGRATION, "TLS migration needs certificates this backend does not manage");
        SendMigrationData data = new SendMigrationData(targetUri,
            o.maxDowntime() == null ? null : Math.max(1, o.maxDowntime().toMillis()),
            o.completionTimeout() == null ? null : Math.max(1, o.completionTimeout().toSeconds()),
            o.onTimeout() == MigrationOptions.TimeoutPolicy.FORCE_COMPLETE ? "Ignore" : "Cancel");
        synchronized (vm) {
            vm.requireRunning();
            Instant start = Instant.now();
            progress.progress(OperationProgress.phase("migrate", "sending", 0, "sending to " + targetUri));
            vm.call("vm.send-migration", new ChRequests.VmSendMigration(data));
            vm.released("migrated to " + targetUri);
            Duration total = Duration.between(start, Instant.now());
            progress.progress(OperationProgress.phase("migrate", "done", 1, ""));
            vm.ctx().events().publish(VmEvent.Type.MIGRATED, vm.id(), vm.spec().name(), targetUri);
            return new MigrationResult(vm.id(), targetUri, total, null, -1);
        }
    }
}
