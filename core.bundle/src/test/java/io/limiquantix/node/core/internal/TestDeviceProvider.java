package io.limiquantix.node.core.internal;

import io.limiquantix.node.api.GpuRequest;
import io.limiquantix.node.api.device.DeviceProvider;
import io.limiquantix.node.api.device.HostDevice;
import io.limiquantix.node.api.device.HostDeviceSupport;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** A unit-test double of a DeviceProvider holding one PCI GPU. */
final class TestDeviceProvider implements DeviceProvider {
    static final HostDevice GPU = new HostDevice(HostDevice.Kind.PCI, "0000:01:00.0", "10de", "1db6", "030200", "vfio-pci",
        12, 0, null, null, "test GPU");
    final Map<String, List<HostDevice>> reserved = new ConcurrentHashMap<>();

    @Override
    public String name() {
        return "test-gpu";
    }

    @Override
    public HostDeviceSupport support() {
        return new HostDeviceSupport(true, false, null);
    }

    @Override
    public List<HostDevice> devices() {
        return List.of(GPU);
    }

    @Override
    public List<HostDevice> reserve(String vmId, List<GpuRequest> requests) {
        reserved.put(vmId, List.of(GPU));
        return List.of(GPU);
    }

    @Override
    public void release(String vmId) {
        reserved.remove(vmId);
    }

    @Override
    public Map<String, List<HostDevice>> reservations() {
        return Map.copyOf(reserved);
    }
}
