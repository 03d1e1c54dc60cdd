package io.limiquantix.node.gpu.internal;

import io.limiquantix.node.api.device.DeviceProvider;
import java.lang.System.Logger.Level;
import java.util.Hashtable;
import org.apache.felix.dm.DependencyActivatorBase;
import org.apache.felix.dm.DependencyManager;
import org.osgi.framework.BundleContext;

/**
 * Registers the one {@code vfio-pci} DeviceProvider, configured from framework properties
 * ({@code limiquantix.gpu.sysfs}, {@code limiquantix.data}, {@code limiquantix.gpu.probe.wait}). Before the
 * service appears, devices reserved before a restart are put back on vfio-pci (see
 * {@link VfioDeviceProvider#repairAfterRestart()}). Stopping the bundle changes nothing on the host: devices
 * stay bound and reserved, because VMs that use them keep running without the node.
 */
public class Activator extends DependencyActivatorBase {
    private static final System.Logger LOG = System.getLogger(Activator.class.getName());

    @Override
    public void init(BundleContext context, DependencyManager dm) {
        GpuConfig config = GpuConfig.from(context::getProperty);
        VfioDeviceProvider provider = new VfioDeviceProvider(config);
        provider.repairAfterRestart();
        String reason = provider.support().reason();
        LOG.log(Level.INFO, "GPU device provider on " + config.sysfsRoot() + ", reservations in "
            + config.dataDir().resolve(ReservationStore.NAME) + (reason == null ? "" : "; limits: " + reason));
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(DeviceProvider.PROP_NAME, VfioDeviceProvider.NAME);
        dm.add(createComponent()
            .setInterface(DeviceProvider.class.getName(), props)
            .setImplementation(provider));
    }

    @Override
    public void destroy(BundleContext context, DependencyManager dm) {
        // Nothing to undo on the host; DM unregisters the service.
    }
}
