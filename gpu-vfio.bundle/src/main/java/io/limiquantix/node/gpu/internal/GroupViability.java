package io.limiquantix.node.gpu.internal;

import io.limiquantix.node.api.ConflictException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Decides whether a GPU's IOMMU group can go to a VM, before anything is touched. VFIO gives a process a
 * whole group, and the kernel refuses to open a group while any member is in use by a host driver, so:
 * <ul>
 * <li>the GPU's companion functions (same card: same domain, bus and slot, same group, such as the HDMI
 *     audio function) go to the VM with it and are moved to vfio-pci with it;</li>
 * <li>every other member must already be harmless: without a driver, on vfio-pci or pci-stub, or a PCI
 *     bridge. Those are held by the VM (no other VM could use them) but not given to it. A member on a host
 *     driver (a NIC, a disk controller) makes the group not viable: this node never takes a device away from
 *     the host that the caller did not ask for;</li>
 * <li>nothing in the group may be reserved by another VM, be the host's boot display, be a vGPU parent, or
 *     be open by a process this node does not know (bound to vfio-pci and enabled).</li>
 * </ul>
 */
final class GroupViability {
    static final String PCI_STUB = "pci-stub";

    /** The functions to give the VM (the GPU first) and the group members it only holds. */
    record Take(List<PciFunction> attach, List<PciFunction> hold) {
    }

    private final IommuGroups groups;

    GroupViability(IommuGroups groups) {
        this.groups = groups;
    }

    /**
     * @param holders      device key to the VM that holds it
     * @param coming       slots ({@code 0000:01:00}) whose functions this VM takes as well, by an earlier or a
     *                     later request: they will be on vfio-pci, so they do not block the group
     * @param mdevParents  parent device to the mediated devices it serves
     */
    Take assess(PciFunction gpu, Map<String, PciFunction> functions, Map<String, String> holders, Set<String> coming,
                Map<String, String> mdevParents) {
        int group = gpu.iommuGroup();
        if (group < 0) throw new ConflictException(gpu.label() + " has no IOMMU group: the kernel cannot isolate it");
        refuseIfHeld(gpu, holders, "");
        String mdevs = mdevParents.get(gpu.address());
        if (mdevs != null)
            throw new ConflictException(gpu.label() + " serves mediated devices (" + mdevs + "); it cannot be passed"
                + " through whole while they exist");
        List<PciFunction> attach = new ArrayList<>(List.of(gpu));
        List<PciFunction> hold = new ArrayList<>();
        List<String> blockers = new ArrayList<>();
        for (String member : groups.members(group)) {
            if (member.equals(gpu.address())) continue;
            PciFunction m = functions.get(member);
            if (m == null) {
                blockers.add(member + " is not a PCI function this node can inspect");
                continue;
            }
            if (m.isBridge()) continue;
            refuseIfHeld(m, holders, "IOMMU group " + group + " of " + gpu.address() + ": ");
            if (m.slot().equals(gpu.slot())) attach.add(m);
            else if (coming.contains(m.slot()) || harmless(m)) hold.add(m);
            else blockers.add(m.label() + " is bound to host driver " + m.driver());
        }
        if (!blockers.isEmpty())
            throw new ConflictException("IOMMU group " + group + " of " + gpu.address() + " is not viable: "
                + String.join("; ", blockers) + ". Every other function in the group must be unbound, bound to vfio-pci or"
                + " pci-stub, or be a PCI bridge (move the card to a slot with its own group, or free those functions)");
        for (PciFunction f : attach) refuseIfHostUses(f);
        for (PciFunction f : hold) refuseIfHostUses(f);
        return new Take(attach, hold);
    }

    /** Unbound, or on a driver whose only job is to keep the function away from the host. */
    static boolean harmless(PciFunction f) {
        return f.driver() == null || f.boundTo(HostSupport.VFIO_PCI) || f.boundTo(PCI_STUB);
    }

    private static void refuseIfHeld(PciFunction f, Map<String, String> holders, String context) {
        String vm = holders.get(f.address());
        if (vm != null) throw new ConflictException(context + f.label() + " is reserved by VM " + vm);
    }

    private static void refuseIfHostUses(PciFunction f) {
        if (f.bootVga() && !harmless(f))
            throw new ConflictException(f.label() + " is the host's boot display (boot_vga=1, " + f.driverLabel()
                + "); taking it would take the console away from the host");
        // vfio-pci enables a function only while a process has it open; an idle, unreserved one is disabled.
        if (f.boundTo(HostSupport.VFIO_PCI) && f.enabled())
            throw new ConflictException(f.label() + " is bound to vfio-pci and enabled: a process this node does not"
                + " know (a VM defined outside it?) has it open");
    }
}
