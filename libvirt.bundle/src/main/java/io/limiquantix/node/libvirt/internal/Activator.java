package io.limiquantix.node.libvirt.internal;

import io.limiquantix.node.libvirt.internal.backend.EventLoop;
import java.util.Hashtable;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.apache.felix.dm.DependencyActivatorBase;
import org.apache.felix.dm.DependencyManager;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.cm.ConfigurationListener;
import org.osgi.service.cm.ManagedServiceFactory;

/**
 * Wires the bundle: libvirt's event loop (one thread for all backends), the factory that turns
 * configurations into backends, and the embedded defaults. Stopping the bundle unregisters every backend,
 * closes its connection and threads, and stops the event loop; no VM is touched.
 */
public class Activator extends DependencyActivatorBase {
    private static final Logger LOG = Logger.getLogger(Activator.class.getName());

    private final EventLoop eventLoop = new EventLoop();
    private Backends backends;
    private DefaultBackends defaults;

    @Override
    public void init(BundleContext context, DependencyManager dm) {
        try {
            // Must run before any connection opens, or libvirt delivers no events on it.
            eventLoop.start();
        } catch (Exception | LinkageError e) {
            LOG.log(Level.SEVERE, "libvirt is not usable from this JVM (is libvirt0 installed?); no libvirt backend is registered", e);
            return;
        }
        // The cephx keys of rbd disks come from the storage bundles' lookup services (optional, any number).
        CephSecrets secrets = new CephSecrets();
        dm.add(createComponent()
            .setImplementation(secrets)
            .add(createServiceDependency().setService(java.util.function.Function.class, CephSecrets.FILTER).setRequired(false)
                .setCallbacks("added", "removed")));
        backends = new Backends(dm, secrets);
        defaults = new DefaultBackends(backends, !"false".equalsIgnoreCase(context.getProperty(DefaultBackends.DISABLE_PROPERTY)));
        Hashtable<String, Object> factoryProps = new Hashtable<>();
        factoryProps.put(Constants.SERVICE_PID, BackendConfig.FACTORY_PID);
        dm.add(createComponent()
            .setInterface(ManagedServiceFactory.class.getName(), factoryProps)
            .setImplementation(new BackendFactory(backends, defaults)));
        dm.add(createComponent()
            .setInterface(ConfigurationListener.class.getName(), null)
            .setImplementation(defaults)
            .add(createServiceDependency().setService(ConfigurationAdmin.class).setRequired(false)
                .setCallbacks("configAdminAdded", "configAdminRemoved")));
        defaults.start();
    }

    @Override
    public void destroy(BundleContext context, DependencyManager dm) {
        if (defaults != null) defaults.close();
        if (backends != null) backends.stopAll();
        eventLoop.stop();
    }
}
