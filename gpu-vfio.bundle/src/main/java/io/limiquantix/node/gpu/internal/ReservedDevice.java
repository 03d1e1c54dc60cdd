package io.limiquantix.node.gpu.internal;

import com.fasterxml.jackson.annotation.JsonIgnore;
import io.limiquantix.node.api.device.HostDevice;

/**
 * One device a VM holds. {@code attach} is false for the other members of an IOMMU group that the VM holds
 * only because VFIO hands out whole groups (no other VM could use them), and that are not given to the VM.
 * {@code rebound} says this node moved the function to vfio-pci, and {@code originalDriver} and
 * {@code originalOverride} are what a release gives back; a function that was already on vfio-pci is
 * never unbound by a release.
 */
record ReservedDevice(HostDevice device, boolean attach, boolean rebound, String originalDriver, String originalOverride) {

    static ReservedDevice mdev(HostDevice device) {
        return new ReservedDevice(device, true, false, null, null);
    }

    @JsonIgnore
    boolean isPci() {
        return device.kind() == HostDevice.Kind.PCI;
    }

    /** The PCI address for a function; the UUID for a mediated device. */
    @JsonIgnore
    String key() {
        return isPci() ? device.address() : device.mdevUuid();
    }

    @JsonIgnore
    VfioBinder.Binding binding() {
        return new VfioBinder.Binding(device.address(), originalDriver, originalOverride);
    }
}
