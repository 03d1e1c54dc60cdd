package io.limiquantix.node.core.internal;

import io.limiquantix.node.api.BackendUnavailableException;
import io.limiquantix.node.api.ConflictException;
import io.limiquantix.node.api.DiskSpec;
import io.limiquantix.node.api.Feature;
import io.limiquantix.node.api.GpuRequest;
import io.limiquantix.node.api.InvalidArgumentException;
import io.limiquantix.node.api.UnsupportedFeatureException;
import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.api.VmState;
import io.limiquantix.node.api.VmStatus;
import io.limiquantix.node.api.device.DeviceProvider;
import io.limiquantix.node.api.device.HostDevice;
import io.limiquantix.node.api.device.HostDeviceSupport;
import io.limiquantix.node.api.storage.DiskSource;
import io.limiquantix.node.api.storage.VolumeProvider;
import io.limiquantix.node.runtime.PlacementDecision;
import io.limiquantix.node.runtime.VmRecord;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * Creating a VM, all or nothing: validate, place, resolve volumes, reserve devices, record in the ledger,
 * define on the backend. Any failure after the ledger entry or a reservation exists undoes them, so a
 * failed create leaves neither a half-defined ledger entry nor a held GPU.
 *
 * <p>The ledger entry is written (marked pending "create") before the backend defines the VM: if the node
 * dies in between, the entry is there to be settled by reconciliation, instead of a VM the node never heard
 * of. A failed create never deletes anything on the backend: the id may belong to a VM the node has not
 * adopted yet, and reconciliation adopts whatever really got defined.
 */
final class VmCreation {
    private static final System.Logger LOG = System.getLogger(VmCreation.class.getName());

    private final VmLedger ledger;
    private final BackendRegistry registry;
    private final RequirementDeriver deriver;
    private final PlacementPolicy policy;
    private final StorageRoots roots;
    private final ExtensionProviders providers;
    private final RecentDecisions decisions;
    private final VmOperationLanes lanes;

    VmCreation(VmLedger ledger, BackendRegistry registry, RequirementDeriver deriver, PlacementPolicy policy,
               StorageRoots roots, ExtensionProviders providers, RecentDecisions decisions, VmOperationLanes lanes) {
        this.ledger = ledger;
        this.registry = registry;
        this.deriver = deriver;
        this.policy = policy;
        this.roots = roots;
        this.providers = providers;
        this.decisions = decisions;
        this.lanes = lanes;
    }

    PlacementDecision place(VmSpec spec) {
        Set<Feature> required = deriver.derive(spec);
        PlacementDecision decision = policy.decide(spec, required, registry.all());
        if (spec.gpus().isEmpty()) return decision;
        // Whether this host can pass devices through at all comes first: no backend choice fixes a host
        // without an IOMMU, and the operator needs that reason rather than a backend's feature list.
        try {
            deviceProviderFor(spec.gpus());
            return decision;
        } catch (UnsupportedFeatureException e) {
            return new PlacementDecision(decision.vmName(), decision.required(), decision.pinned(), null, e.getMessage(),
                decision.candidates(), decision.at());
        }
    }

    VmRecord create(VmSpec input) {
        if (input == null) throw new InvalidArgumentException("spec", "is required");
        validate(input);
        VmSpec spec = input.id() != null ? input : input.withId(UUID.randomUUID().toString());
        PlacementDecision decision = place(spec);
        decisions.add(decision);
        if (!decision.placed()) throw PlacementPolicy.refusal(decision);
        Backend backend = registry.find(decision.chosen())
            .orElseThrow(() -> new BackendUnavailableException("backend " + decision.chosen() + " left during placement"));
        VmSpec forBackend = spec.withDisks(resolveVolumes(spec));
        DeviceProvider devices = null;
        boolean recorded = false;
        try {
            if (!spec.gpus().isEmpty()) {
                devices = deviceProviderFor(spec.gpus());
                List<HostDevice> reserved = devices.reserve(spec.id(), spec.gpus());
                spec = spec.withHostDevices(reserved);
                forBackend = forBackend.withHostDevices(reserved);
            }
            ledger.insert(VmEntry.created(spec, backend.name(), devices == null ? null : devices.name()), true);
            recorded = true;
            VmSpec define = forBackend;
            VmStatus status = VmOperationLanes.await(lanes.submitBlocking(spec.id(),
                () -> backend.hypervisor().createVm(define)));
            LOG.log(Level.INFO, "created VM " + spec.id() + " (" + spec.name() + ") on backend " + backend.name());
            return settled(spec.id(), status);
        } catch (RuntimeException failure) {
            undo(spec.id(), recorded, devices, failure);
            throw BoundedCalls.asHypervisorException("creating VM " + spec.name() + " on backend " + backend.name(), failure);
        } catch (Error failure) {
            undo(spec.id(), recorded, devices, failure);
            throw failure;
        }
    }

    /**
     * The VM exists on the backend now, so nothing may be undone any more: if clearing the pending marker
     * fails, the entry keeps it (and reconciliation settles it) rather than the node forgetting a real VM.
     */
    private VmRecord settled(String id, VmStatus status) {
        VmState state = status == null ? VmState.STOPPED : status.state();
        String reason = status == null ? "" : status.reason();
        try {
            VmEntry done = ledger.update(id, e -> e.withPending(null).withState(state, reason));
            return VmStatusView.record(done, state, reason);
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "VM " + id + " was created but its ledger entry could not be settled; it stays marked"
                + " pending 'create'", e);
            VmEntry pending = ledger.get(id).orElseThrow(() -> e);
            return VmStatusView.record(pending, state, reason);
        }
    }

    /** Checks that belong to this node rather than to the spec itself. */
    private void validate(VmSpec spec) {
        if (!spec.hostDevices().isEmpty()) throw new InvalidArgumentException("hostDevices", "is set by the node");
        roots.check(spec);
        if (spec.id() != null && ledger.get(spec.id()).isPresent())
            throw new ConflictException("a VM with id " + spec.id() + " already exists");
        ledger.findByName(spec.name()).ifPresent(e -> {
            throw new ConflictException("the name '" + spec.name() + "' is already used by VM " + e.id());
        });
    }

    /** VOLUME sources become the FILE, BLOCK or NETWORK source their provider says to attach. */
    List<DiskSpec> resolveVolumes(VmSpec spec) {
        List<DiskSpec> out = new ArrayList<>(spec.disks().size());
        for (int i = 0; i < spec.disks().size(); i++) out.add(resolveVolume("disks[" + i + "]", spec.disks().get(i)));
        return out;
    }

    DiskSpec resolveVolume(String field, DiskSpec disk) {
        DiskSource s = disk.source();
        if (s.kind() != DiskSource.Kind.VOLUME) return disk;
        VolumeProvider p = providers.volumeProvider(s.provider()).orElseThrow(() -> new InvalidArgumentException(
            field + ".source.provider", "no volume provider named '" + s.provider() + "' is registered"));
        DiskSource resolved;
        try {
            resolved = p.resolve(s.volume());
        } catch (InvalidArgumentException e) {
            throw e.under(field + ".source");
        }
        if (resolved == null || resolved.kind() == DiskSource.Kind.VOLUME)
            throw new BackendUnavailableException("volume provider '" + s.provider() + "' did not resolve volume '"
                + s.volume() + "' into an attachable source");
        return new DiskSpec(disk.name(), resolved, disk.bus(), disk.device(), disk.readOnly(), disk.bootOrder());
    }

    private DeviceProvider deviceProviderFor(List<GpuRequest> gpus) {
        boolean mediated = gpus.stream().anyMatch(g -> g.mdevType() != null);
        boolean passthrough = gpus.stream().anyMatch(g -> g.mdevType() == null);
        Feature feature = passthrough ? Feature.GPU_PASSTHROUGH : Feature.MEDIATED_DEVICE;
        List<DeviceProvider> all = providers.deviceProviders();
        if (all.isEmpty()) throw new UnsupportedFeatureException(feature, "gpus: no device provider is registered on this node");
        List<String> reasons = new ArrayList<>();
        for (DeviceProvider p : all) {
            HostDeviceSupport support = p.support();
            if (support != null && (!passthrough || support.passthrough()) && (!mediated || support.mediatedDevices()))
                return p;
            reasons.add(p.name() + ": " + (support == null || support.reason() == null ? "no support" : support.reason()));
        }
        throw new UnsupportedFeatureException(feature, "gpus: no device provider can serve the request ("
            + String.join("; ", reasons) + ")");
    }

    private void undo(String id, boolean recorded, DeviceProvider devices, Throwable failure) {
        if (recorded) {
            try {
                ledger.remove(id);
            } catch (RuntimeException e) {
                failure.addSuppressed(e);
                LOG.log(Level.ERROR, "create of VM " + id + " failed and its ledger entry could not be removed; it stays"
                    + " marked pending 'create' for reconciliation to settle", e);
            }
        }
        if (devices != null) {
            try {
                devices.release(id);
            } catch (RuntimeException e) {
                failure.addSuppressed(e);
                LOG.log(Level.ERROR, "create of VM " + id + " failed and its devices could not be released from "
                    + devices.name(), e);
            }
        }
    }
}
