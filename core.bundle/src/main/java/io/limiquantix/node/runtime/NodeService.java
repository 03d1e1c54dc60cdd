package io.limiquantix.node.runtime;

import io.limiquantix.node.api.ConsoleInfo;
import io.limiquantix.node.api.DiskSpec;
import io.limiquantix.node.api.MigrationOptions;
import io.limiquantix.node.api.MigrationResult;
import io.limiquantix.node.api.ProgressListener;
import io.limiquantix.node.api.SnapshotInfo;
import io.limiquantix.node.api.SnapshotSpec;
import io.limiquantix.node.api.Subscription;
import io.limiquantix.node.api.VmEventListener;
import io.limiquantix.node.api.VmSpec;
import java.time.Duration;
import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The node: places VMs on backends, keeps the ledger, orders operations per VM. Every front end calls
 * this and nothing else. A {@code vm} argument is a VM's id (UUID) or its unique name.
 *
 * <p>Errors are the API's typed {@code HypervisorException}s. A call for a VM whose backend is away waits
 * (bounded) for it to return, then fails with {@code BackendUnavailableException}.
 */
@ProviderType
public interface NodeService {
    List<BackendView> backends();

    /** Where would this VM go, and why: a dry run that creates and records nothing. */
    PlacementDecision place(VmSpec spec);

    /** The most recent placement decisions, newest first. */
    List<PlacementDecision> recentDecisions();

    /** Validates, places, records in the ledger and defines the VM (does not start it). */
    VmRecord createVm(VmSpec spec);

    VmRecord getVm(String vm);

    List<VmRecord> listVms();

    void startVm(String vm);

    void stopVm(String vm, Duration timeout, ProgressListener progress);

    void forceStopVm(String vm);

    void rebootVm(String vm);

    void pauseVm(String vm);

    void resumeVm(String vm);

    /** Deletes a stopped VM from its backend and the ledger. */
    void deleteVm(String vm);

    SnapshotInfo createSnapshot(String vm, SnapshotSpec spec, ProgressListener progress);

    void revertSnapshot(String vm, String snapshot, ProgressListener progress);

    void deleteSnapshot(String vm, String snapshot);

    List<SnapshotInfo> listSnapshots(String vm);

    ConsoleInfo consoleInfo(String vm);

    void attachDisk(String vm, DiskSpec disk);

    void detachDisk(String vm, String diskName);

    MigrationResult migrate(String vm, String targetUri, MigrationOptions options, ProgressListener progress);

    /**
     * Asks the migration of the VM that runs now to stop (the {@code migrate} call then fails and the VM keeps
     * running on this node). Returns false when no migration of the VM is in progress.
     *
     * @since 1.1
     */
    default boolean abortMigration(String vm) {
        throw new io.limiquantix.node.api.UnsupportedFeatureException(io.limiquantix.node.api.Feature.LIVE_MIGRATION,
            "this node cannot abort a migration");
    }

    /** VM and backend events from every backend, plus the node's own (adoption, missing VMs). */
    Subscription subscribe(VmEventListener listener);

    /**
     * Counters of every VM (CPU time, memory, disk and network I/O), one bulk sweep per registered backend, the
     * backends asked in parallel. Never fails because one backend does: its entry says why it reported nothing.
     *
     * @since 1.1
     */
    default List<BackendStats> stats() {
        throw new io.limiquantix.node.api.UnsupportedFeatureException(null, "this node does not collect VM statistics");
    }
}
