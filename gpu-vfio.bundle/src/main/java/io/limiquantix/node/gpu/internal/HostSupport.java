package io.limiquantix.node.gpu.internal;

import io.limiquantix.node.api.device.HostDeviceSupport;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Whether this host can give devices to VMs at all, with the reason in words an operator can act on.
 * Placement shows these reasons verbatim when it refuses a GPU VM, so each names the path it looked at
 * and what to change.
 */
final class HostSupport {
    static final String VFIO_PCI = "vfio-pci";

    private final Sysfs sysfs;
    private final IommuGroups groups;

    HostSupport(Sysfs sysfs, IommuGroups groups) {
        this.sysfs = sysfs;
        this.groups = groups;
    }

    /** Why whole PCI functions cannot be passed through, or empty when they can. */
    Optional<String> passthroughProblem() {
        List<String> problems = new ArrayList<>();
        if (!groups.enabled())
            problems.add("no IOMMU: " + sysfs.iommuGroups() + " is empty (enable VT-d or AMD-Vi in the firmware and"
                + " boot with intel_iommu=on or amd_iommu=on)");
        if (!vfioPciLoaded())
            problems.add("vfio-pci driver not available: " + sysfs.pciDrivers().resolve(VFIO_PCI)
                + " is missing (load it: modprobe vfio-pci)");
        return problems.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", problems));
    }

    boolean vfioPciLoaded() {
        return sysfs.exists(sysfs.pciDrivers().resolve(VFIO_PCI));
    }

    /**
     * Why mediated devices (vGPU) cannot be created, or empty when they can. They need no host IOMMU of
     * their own: the vendor's host driver isolates them, so only a registered parent device counts.
     */
    Optional<String> mediatedProblem() {
        if (!sysfs.list(sysfs.mdevParents()).isEmpty()) return Optional.empty();
        return Optional.of("no mediated devices: " + sysfs.mdevParents()
            + " is empty (no vGPU-capable host driver, such as NVIDIA vGPU or i915 GVT-g, has registered a device)");
    }

    /** {@code extraProblem} is a problem of this provider itself (an unreadable reservation file). */
    HostDeviceSupport probe(String extraProblem) {
        Optional<String> pci = passthroughProblem();
        Optional<String> mdev = mediatedProblem();
        List<String> reasons = new ArrayList<>();
        if (extraProblem != null) reasons.add(extraProblem);
        pci.ifPresent(reasons::add);
        mdev.ifPresent(reasons::add);
        boolean usable = extraProblem == null;
        return new HostDeviceSupport(usable && pci.isEmpty(), usable && mdev.isEmpty(),
            reasons.isEmpty() ? null : String.join("; ", reasons));
    }
}
