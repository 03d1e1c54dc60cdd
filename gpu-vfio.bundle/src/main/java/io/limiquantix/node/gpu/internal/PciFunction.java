package io.limiquantix.node.gpu.internal;

import io.limiquantix.node.api.device.HostDevice;

/**
 * One PCI function as sysfs showed it when it was scanned. Ids are lower-case hex without "0x";
 * {@code driver} and {@code driverOverride} are null when there is none; {@code iommuGroup} and
 * {@code numaNode} are -1 when unknown. {@code enabled} is the kernel's enable count being non-zero: for a
 * function bound to vfio-pci that means a process (a VM) has it open.
 */
record PciFunction(String address, String vendorId, String deviceId, String classCode, String driver,
                   String driverOverride, int iommuGroup, int numaNode, boolean bootVga, boolean enabled) {

    /** Domain, bus and device number: the functions of one physical card share it ({@code 0000:01:00}). */
    String slot() {
        return address.substring(0, address.lastIndexOf('.'));
    }

    boolean isGpu() {
        return PciClass.isGpu(classCode);
    }

    boolean isBridge() {
        return PciClass.isBridge(classCode);
    }

    boolean boundTo(String name) {
        return name.equals(driver);
    }

    /** For messages: {@code 0000:05:00.0 (Ethernet controller 8086:1533)}. */
    String label() {
        return address + " (" + PciClass.name(classCode) + " " + vendorId + ":" + deviceId + ")";
    }

    String driverLabel() {
        return driver == null ? "no driver" : "driver " + driver;
    }

    HostDevice toHostDevice() {
        return toHostDevice(driver);
    }

    /** As a host device, with the driver it has or is about to have. */
    HostDevice toHostDevice(String withDriver) {
        return new HostDevice(HostDevice.Kind.PCI, address, vendorId, deviceId, classCode, HostDeviceText.nameOrNull(withDriver),
            iommuGroup, numaNode, null, null, PciClass.name(classCode));
    }
}
