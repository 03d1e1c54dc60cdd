package io.limiquantix.node.api.device;

import io.limiquantix.node.api.GpuRequest;
import io.limiquantix.node.api.InvalidArgumentException;
import io.limiquantix.node.api.internal.Checks;

/**
 * A host device as a device provider found it: a PCI function or a mediated device. Ids are lower-case
 * hex without "0x". {@code iommuGroup} and {@code numaNode} are -1 when unknown.
 */
public record HostDevice(Kind kind, String address, String vendorId, String deviceId, String classCode,
                         String driver, int iommuGroup, int numaNode, String mdevType, String mdevUuid,
                         String description) {
    public enum Kind { PCI, MDEV }

    public HostDevice {
        Checks.notNull("kind", kind);
        if (kind == Kind.PCI && (address == null || !GpuRequest.PCI_ADDRESS.matcher(address).matches()))
            throw new InvalidArgumentException("address", "must be a PCI address like 0000:01:00.0");
        Checks.ascii("vendorId", vendorId, 4);
        Checks.ascii("deviceId", deviceId, 4);
        Checks.ascii("classCode", classCode, 6);
        Checks.optionalName("driver", driver);
        Checks.range("iommuGroup", iommuGroup, -1, Integer.MAX_VALUE);
        Checks.range("numaNode", numaNode, -1, 4096);
        Checks.optionalName("mdevType", mdevType);
        if (kind == Kind.MDEV && (mdevUuid == null || !io.limiquantix.node.api.storage.DiskSource.UUID.matcher(mdevUuid).matches()))
            throw new InvalidArgumentException("mdevUuid", "must be a lower-case UUID for mediated devices");
        Checks.text("description", description, 256);
    }
}
