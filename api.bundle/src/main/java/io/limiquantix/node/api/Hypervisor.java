package io.limiquantix.node.api;

import java.time.Duration;
import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The contract every backend provides as an OSGi service (ADR-000007's trait). One service per backend
 * instance; its service properties carry {@link #PROP_NAME} and {@code service.ranking}.
 *
 * <p>VMs are identified by their lower-case UUID. Every method throws only {@link HypervisorException}
 * subtypes: {@link InvalidArgumentException}, {@link NotFoundException}, {@link ConflictException},
 * {@link UnsupportedFeatureException}, {@link BackendUnavailableException}, {@link BackendFailureException}.
 * VMs belong to the hypervisor, not to this service: unregistering the service never stops a VM.
 */
@ProviderType
public interface Hypervisor {
    /** Service property: the backend instance's name, unique on the node (e.g. {@code qemu}, {@code test}). */
    String PROP_NAME = "limiquantix.backend";
    /** Service property: the backend's type (e.g. {@code libvirt}, {@code cloudhv}). */
    String PROP_TYPE = "limiquantix.backend.type";

    HypervisorCapabilities capabilities();

    BackendHealth health();

    /** Defines the VM (does not start it). The spec is fully resolved: no VOLUME disk sources remain. */
    VmStatus createVm(VmSpec spec);

    void startVm(String vmId);

    /**
     * Asks the guest to shut down and waits up to {@code timeout} for it to power off, reporting progress.
     * If it is still running then, throws {@link ConflictException} and leaves it running.
     */
    void stopVm(String vmId, Duration timeout, ProgressListener progress);

    /** Powers the VM off at once, like pulling the plug. */
    void forceStopVm(String vmId);

    void rebootVm(String vmId);

    void pauseVm(String vmId);

    void resumeVm(String vmId);

    /** Removes the VM's definition (and its NVRAM and snapshots metadata). The VM must be stopped. */
    void deleteVm(String vmId);

    VmStatus status(String vmId);

    /**
     * Every VM this backend holds, including ones the node did not create. A listing is about identity and state:
     * a backend may answer it in one bulk call and report 0 for a figure (vCPUs, memory, CPU time) that call does
     * not carry; {@link #status} always carries them.
     */
    List<VmStatus> listVms();

    SnapshotInfo createSnapshot(String vmId, SnapshotSpec spec, ProgressListener progress);

    void revertSnapshot(String vmId, String snapshotName, ProgressListener progress);

    void deleteSnapshot(String vmId, String snapshotName);

    List<SnapshotInfo> listSnapshots(String vmId);

    ConsoleInfo consoleInfo(String vmId);

    /** Attaches a disk to the VM's definition and, when it runs, to the running guest. */
    void attachDisk(String vmId, DiskSpec disk);

    void detachDisk(String vmId, String diskName);

    /** Migrates the VM to {@code targetUri} (a backend-specific URI of the destination host). */
    MigrationResult migrate(String vmId, String targetUri, MigrationOptions options, ProgressListener progress);

    /**
     * Asks the migration of the VM that is running now to stop; the {@code migrate} call then fails and the
     * VM keeps running where it was. Returns false when no migration of the VM is in progress. Backends that
     * cannot abort keep the default, which refuses with {@link UnsupportedFeatureException}.
     *
     * @since 1.1
     */
    default boolean abortMigration(String vmId) {
        throw new UnsupportedFeatureException(Feature.LIVE_MIGRATION, "this backend cannot abort a migration");
    }

    /**
     * What the host at {@code targetUri} (a migration destination) reports about the VM: how the node settles a
     * migration that a crash interrupted. Throws {@link NotFoundException} when that host does not have the VM,
     * {@link BackendUnavailableException} when it cannot be asked; backends without migration keep the default,
     * which refuses with {@link UnsupportedFeatureException}.
     *
     * @since 1.1
     */
    default VmStatus statusAt(String targetUri, String vmId) {
        throw new UnsupportedFeatureException(Feature.LIVE_MIGRATION, "this backend cannot ask another host about a VM");
    }

    /** Delivers this backend's VM events to the listener until the subscription is closed. */
    Subscription subscribe(VmEventListener listener);

    /**
     * True when this backend publishes an event naming the VM for every change of a VM's state (and for a VM
     * defined or undefined outside the node), and a {@link VmEvent.Type#BACKEND_DOWN} when it may have missed
     * some, followed by {@link VmEvent.Type#BACKEND_UP} once it publishes again. The runtime then answers a
     * listing from the last one it took, asking only about the VMs an event named since. Backends that cannot
     * promise this keep the default, and every listing asks them.
     *
     * @since 1.3
     */
    default boolean eventsCoverStateChanges() {
        return false;
    }

    /**
     * Counters of every VM this backend holds (CPU time, memory, disk and network I/O), read in one sweep.
     * Backends that cannot do this keep the default, which refuses with {@link UnsupportedFeatureException}.
     *
     * @since 1.1
     */
    default List<VmStats> stats() {
        throw new UnsupportedFeatureException(null, "this backend does not report VM statistics");
    }
}
