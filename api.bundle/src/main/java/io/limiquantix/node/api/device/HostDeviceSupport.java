package io.limiquantix.node.api.device;

/** Whether this host can pass devices through at all (IOMMU on, vfio present); {@code reason} says why not. */
public record HostDeviceSupport(boolean passthrough, boolean mediatedDevices, String reason) {
}
