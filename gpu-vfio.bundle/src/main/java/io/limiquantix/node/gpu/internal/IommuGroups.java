package io.limiquantix.node.gpu.internal;

import java.util.List;

/**
 * The IOMMU groups (Documentation/ABI/testing/sysfs-kernel-iommu_groups). A group is the smallest set of
 * devices the IOMMU can isolate from the rest of the host; VFIO hands out groups, never single functions,
 * so every decision about one function is really a decision about its whole group.
 */
final class IommuGroups {
    private final Sysfs sysfs;

    IommuGroups(Sysfs sysfs) {
        this.sysfs = sysfs;
    }

    /** The kernel creates groups only when an IOMMU is on; an empty (or absent) directory means none is. */
    boolean enabled() {
        return !sysfs.list(sysfs.iommuGroups()).isEmpty();
    }

    /** The device names in a group (PCI addresses for PCI devices), sorted; empty when the group is unknown. */
    List<String> members(int group) {
        if (group < 0) return List.of();
        return sysfs.list(sysfs.iommuGroups().resolve(Integer.toString(group)).resolve("devices"));
    }
}
