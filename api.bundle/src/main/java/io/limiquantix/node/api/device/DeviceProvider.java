package io.limiquantix.node.api.device;

import io.limiquantix.node.api.GpuRequest;
import java.util.List;
import java.util.Map;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * The device extension point: discovers host devices, resolves a VM's GPU requests into them and keeps
 * reservations so that no two VMs take the same device. Reservations survive a node restart.
 */
@ConsumerType
public interface DeviceProvider {
    String PROP_NAME = "limiquantix.device.provider";

    String name();

    HostDeviceSupport support();

    List<HostDevice> devices();

    /**
     * Resolves and reserves devices for the VM, all or nothing. Throws InvalidArgumentException naming
     * the request field, ConflictException when a device is taken, UnsupportedFeatureException when the
     * host cannot pass devices through.
     */
    List<HostDevice> reserve(String vmId, List<GpuRequest> requests);

    void release(String vmId);

    Map<String, List<HostDevice>> reservations();
}
