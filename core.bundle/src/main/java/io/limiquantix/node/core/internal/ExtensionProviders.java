package io.limiquantix.node.core.internal;

import io.limiquantix.node.api.device.DeviceProvider;
import io.limiquantix.node.api.storage.VolumeProvider;
import java.lang.System.Logger.Level;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The volume and device providers present now. Dependency Manager calls the add/remove methods (by name,
 * with the service object); tests call them directly.
 */
final class ExtensionProviders {
    private static final System.Logger LOG = System.getLogger(ExtensionProviders.class.getName());

    private final Map<String, VolumeProvider> volumes = new ConcurrentHashMap<>();
    private final List<DeviceProvider> devices = new CopyOnWriteArrayList<>();

    void addVolumeProvider(VolumeProvider p) {
        VolumeProvider before = volumes.putIfAbsent(p.name(), p);
        if (before != null && before != p)
            LOG.log(Level.ERROR, "a second volume provider named '" + p.name() + "' is ignored while the first is present");
    }

    void removeVolumeProvider(VolumeProvider p) {
        volumes.remove(p.name(), p);
    }

    void addDeviceProvider(DeviceProvider p) {
        devices.add(p);
    }

    void removeDeviceProvider(DeviceProvider p) {
        devices.remove(p);
    }

    Optional<VolumeProvider> volumeProvider(String name) {
        return name == null ? Optional.empty() : Optional.ofNullable(volumes.get(name));
    }

    Optional<DeviceProvider> deviceProvider(String name) {
        return devices.stream().filter(d -> d.name().equals(name)).findFirst();
    }

    /** By name, so the choice among several is stable across restarts. */
    List<DeviceProvider> deviceProviders() {
        return devices.stream().sorted(Comparator.comparing(DeviceProvider::name)).toList();
    }
}
