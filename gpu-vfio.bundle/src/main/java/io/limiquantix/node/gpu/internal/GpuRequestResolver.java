package io.limiquantix.node.gpu.internal;

import io.limiquantix.node.api.ConflictException;
import io.limiquantix.node.api.Feature;
import io.limiquantix.node.api.GpuRequest;
import io.limiquantix.node.api.InvalidArgumentException;
import io.limiquantix.node.api.UnsupportedFeatureException;
import io.limiquantix.node.gpu.internal.MdevTypes.MdevType;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * Turns a VM's GPU requests into a plan: the PCI functions to give it (each GPU with its companion
 * functions, such as the HDMI audio function of the same card), the other members of their IOMMU groups it
 * must hold, and the mediated devices to create. It only reads: nothing on the host or in the reservations
 * changes until the whole plan is known to be possible, so a refusal leaves everything as it was.
 *
 * <p>Refusals name the request field ({@code gpus[1].vendorDevice}) or, for conflicts, the device, the
 * group, the offending function and its driver, or the VM that holds a device.
 */
final class GpuRequestResolver {
    /** The plan; {@code attach} in the order the VM should see the devices. */
    record Plan(List<PciFunction> attach, List<PciFunction> hold, List<MdevCreation> mdevs) {
    }

    record MdevCreation(MdevType type, String uuid) {
    }

    private final SysfsPciScanner scanner;
    private final IommuGroups groups;
    private final MdevTypes mdevTypes;
    private final HostSupport support;
    private final GroupViability viability;
    private final Supplier<UUID> uuids;

    GpuRequestResolver(SysfsPciScanner scanner, IommuGroups groups, MdevTypes mdevTypes, HostSupport support,
                       Supplier<UUID> uuids) {
        this.scanner = scanner;
        this.groups = groups;
        this.mdevTypes = mdevTypes;
        this.support = support;
        this.viability = new GroupViability(groups);
        this.uuids = uuids;
    }

    /** {@code reservations}: what other VMs hold now, by VM id. */
    Plan resolve(List<GpuRequest> requests, Map<String, List<ReservedDevice>> reservations) {
        Map<String, String> holders = new TreeMap<>();
        reservations.forEach((vm, devices) -> devices.forEach(d -> holders.put(d.key(), vm)));
        Map<String, PciFunction> functions = new TreeMap<>();
        boolean anyPci = requests.stream().anyMatch(r -> r.mdevType() == null);
        if (anyPci) {
            support.passthroughProblem().ifPresent(reason -> {
                throw new UnsupportedFeatureException(Feature.GPU_PASSTHROUGH, "GPU passthrough is not possible on this host: " + reason);
            });
            for (PciFunction f : scanner.scan()) functions.put(f.address(), f);
        }
        Draft draft = new Draft(functions, holders, mdevParentsInUse(reservations));
        // GPUs asked for by address come along whatever the order of the requests: two GPUs sharing a group
        // can only be given together, so neither may block the other.
        for (GpuRequest r : requests)
            if (r.pciAddress() != null) draft.coming.add(r.pciAddress().substring(0, r.pciAddress().lastIndexOf('.')));
        for (int i = 0; i < requests.size(); i++) {
            GpuRequest r = requests.get(i);
            String field = "gpus[" + i + "]";
            if (r.pciAddress() != null) byAddress(draft, field, r.pciAddress());
            else if (r.vendorDevice() != null) byVendorDevice(draft, field, r.vendorDevice(), r.count());
            else mediated(draft, field, r.mdevType(), r.count());
        }
        List<PciFunction> hold = new ArrayList<>();
        draft.hold.forEach((address, f) -> {
            if (!draft.attach.containsKey(address)) hold.add(f);
        });
        return new Plan(List.copyOf(draft.attach.values()), List.copyOf(hold), List.copyOf(draft.mdevs));
    }

    private void byAddress(Draft draft, String field, String address) {
        PciFunction f = draft.functions.get(address);
        if (f == null) throw new InvalidArgumentException(field + ".pciAddress", "no PCI function " + address + " on this host");
        if (!f.isGpu())
            throw new InvalidArgumentException(field + ".pciAddress", address + " is a " + PciClass.name(f.classCode())
                + " (class 0x" + f.classCode() + "), not a GPU (display class 0x03 or processing accelerator 0x12)");
        if (draft.attach.containsKey(address))
            throw new InvalidArgumentException(field + ".pciAddress", address + " is already given to this VM by an earlier request");
        draft.take(viability.assess(f, draft.functions, draft.holders, draft.coming, draft.mdevParents));
    }

    /**
     * Candidates are taken group by group, in address order: when one IOMMU group holds several matching
     * GPUs, as many as are still needed are assessed together, since a group cannot be split between the
     * VM and the host.
     */
    private void byVendorDevice(Draft draft, String field, String vendorDevice, int count) {
        String vendor = vendorDevice.substring(0, 4);
        String device = vendorDevice.substring(5);
        List<String> refusals = new ArrayList<>();
        Map<Integer, List<PciFunction>> byGroup = new LinkedHashMap<>();
        int matching = 0;
        int noGroup = -1;
        for (PciFunction f : draft.functions.values()) {
            if (!f.isGpu() || !f.vendorId().equals(vendor) || !f.deviceId().equals(device)) continue;
            matching++;
            if (draft.attach.containsKey(f.address())) refusals.add(f.address() + " is already given to this VM by an earlier request");
            else byGroup.computeIfAbsent(f.iommuGroup() >= 0 ? f.iommuGroup() : noGroup--, g -> new ArrayList<>()).add(f);
        }
        int taken = 0;
        for (List<PciFunction> candidates : byGroup.values()) {
            if (taken == count) break;
            List<PciFunction> batch = candidates.subList(0, Math.min(count - taken, candidates.size()));
            Set<String> coming = new HashSet<>(draft.coming);
            batch.forEach(f -> coming.add(f.slot()));
            try {
                List<GroupViability.Take> takes = new ArrayList<>();
                for (PciFunction f : batch) takes.add(viability.assess(f, draft.functions, draft.holders, coming, draft.mdevParents));
                takes.forEach(draft::take);
                taken += batch.size();
            } catch (ConflictException e) {
                refusals.add(e.getMessage());
            }
        }
        if (matching == 0)
            throw new InvalidArgumentException(field + ".vendorDevice", "no GPU " + vendorDevice + " on this host");
        if (taken < count)
            throw new ConflictException(field + ": " + count + " GPU(s) " + vendorDevice + " requested, only " + taken
                + " can be given: " + String.join("; ", refusals));
    }

    private void mediated(Draft draft, String field, String type, int count) {
        support.mediatedProblem().ifPresent(reason -> {
            throw new UnsupportedFeatureException(Feature.MEDIATED_DEVICE, "mediated devices are not possible on this host: " + reason);
        });
        List<MdevType> all = mdevTypes.types();
        List<MdevType> offering = all.stream().filter(t -> t.id().equals(type)).toList();
        if (offering.isEmpty()) {
            List<String> offered = all.stream().map(MdevType::id).distinct().sorted().toList();
            throw new InvalidArgumentException(field + ".mdevType", "no device on this host offers mediated device type " + type
                + (offered.isEmpty() ? "" : " (offered: " + String.join(", ", offered) + ")"));
        }
        List<String> availability = new ArrayList<>();
        int left = count;
        for (MdevType t : offering) {
            if (!MdevTypes.VFIO_PCI_API.equals(t.deviceApi()))
                throw new InvalidArgumentException(field + ".mdevType", "mediated device type " + type + " of " + t.parent()
                    + " has device API " + t.deviceApi() + "; a VM can only take vfio-pci mediated devices");
            String holder = draft.holders.get(t.parent());
            if (holder != null || draft.attach.containsKey(t.parent())) {
                availability.add(t.parent() + ": passed through whole to VM " + (holder != null ? holder : "being reserved"));
                continue;
            }
            long planned = draft.mdevs.stream().filter(m -> m.type().parent().equals(t.parent()) && m.type().id().equals(type)).count();
            int free = (int) Math.max(0, t.availableInstances() - planned);
            availability.add(t.parent() + ": " + free + " available");
            for (; free > 0 && left > 0; free--, left--) draft.mdevs.add(new MdevCreation(t, uuids.get().toString()));
        }
        if (left > 0)
            throw new ConflictException(field + ": " + count + " mediated device(s) of type " + type + " requested, only "
                + (count - left) + " can be created now (" + String.join("; ", availability) + ")");
    }

    /** Parents of mediated devices that exist or are reserved: they serve vGPUs, so they are not free to pass through whole. */
    private Map<String, String> mdevParentsInUse(Map<String, List<ReservedDevice>> reservations) {
        Map<String, String> parents = new TreeMap<>();
        for (MdevTypes.MdevInstance m : mdevTypes.instances())
            if (m.parent() != null) parents.merge(m.parent(), m.uuid(), (a, b) -> a + ", " + b);
        // A reserved mdev missing from sysfs (host rebooted, not yet re-created) still claims its parent.
        reservations.values().forEach(devices -> devices.stream().filter(d -> !d.isPci()).forEach(d -> {
            String uuid = d.device().mdevUuid();
            parents.merge(d.device().address(), uuid, (a, b) -> a.contains(b) ? a : a + ", " + b);
        }));
        return parents;
    }

    /** The plan being built; PCI functions by address, so a later request can turn a held function into a given one. */
    private static final class Draft {
        final Map<String, PciFunction> functions;
        final Map<String, String> holders;
        final Map<String, String> mdevParents;
        final Map<String, PciFunction> attach = new LinkedHashMap<>();
        final Map<String, PciFunction> hold = new LinkedHashMap<>();
        final List<MdevCreation> mdevs = new ArrayList<>();
        /** Slots this VM takes: planned so far, or asked for by address in any request. */
        final Set<String> coming = new HashSet<>();

        Draft(Map<String, PciFunction> functions, Map<String, String> holders, Map<String, String> mdevParents) {
            this.functions = functions;
            this.holders = holders;
            this.mdevParents = mdevParents;
        }

        void take(GroupViability.Take take) {
            for (PciFunction f : take.attach()) {
                attach.put(f.address(), f);
                coming.add(f.slot());
            }
            for (PciFunction f : take.hold()) hold.putIfAbsent(f.address(), f);
        }
    }
}
