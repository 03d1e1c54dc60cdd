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
    private io.limiquantix.node.libvirt.internal.storage.LocalVolumes localVolumes;
    /** The OSGi condition registered once the embedded defaults have had their first say (see bnd.bnd). */
    static final String DEFAULTS_SETTLED = "limiquantix.libvirt.defaults";
    private volatile org.osgi.framework.ServiceRegistration<?> settledCondition;

    private static org.osgi.framework.ServiceRegistration<?> registerCondition(BundleContext context, String id) {
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(org.osgi.service.condition.Condition.CONDITION_ID, id);
        try {
            return context.registerService(org.osgi.service.condition.Condition.class, org.osgi.service.condition.Condition.INSTANCE, props);
        } catch (IllegalStateException e) {
            return null; // the bundle is stopping
        }
    }

    @Override
    public void init(BundleContext context, DependencyManager dm) {
        long t0 = System.nanoTime();
        try {
            // Must run before any connection opens, or libvirt delivers no events on it.
            eventLoop.start();
        } catch (Exception | LinkageError e) {
            LOG.log(Level.SEVERE, "libvirt is not usable from this JVM (is libvirt0 installed?); no libvirt backend is registered", e);
            settledCondition = registerCondition(context, DEFAULTS_SETTLED); // nothing more will come from this bundle
            return;
        }
        // The KVM verdict outlives this revision of the bundle (and the node) in the node's data directory,
        // so neither a swap nor a restart runs the 3 s probe guest again while the host is unchanged.
        String data = context.getProperty("limiquantix.data");
        io.limiquantix.node.libvirt.internal.backend.KvmProbe.storeVerdictsIn(
            java.nio.file.Path.of(data == null || data.isBlank() ? "data" : data.trim()));
        // The cephx keys of rbd disks come from the storage bundles' lookup services (optional, any number).
        CephSecrets secrets = new CephSecrets();
        dm.add(createComponent()
            .setImplementation(secrets)
            .add(createServiceDependency().setService(java.util.function.Function.class, CephSecrets.FILTER).setRequired(false)
                .setCallbacks("added", "removed")));
        backends = new Backends(dm, secrets);
        defaults = new DefaultBackends(backends, !"false".equalsIgnoreCase(context.getProperty(DefaultBackends.DISABLE_PROPERTY)));
        // The node's readiness report waits for this condition (declared in the manifest, LimiQuantix-Readiness).
        defaults.whenSettled(() -> settledCondition = registerCondition(context, DEFAULTS_SETTLED));
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
        // The 'local' volume provider: a libvirt directory pool (configuration PID io.limiquantix.node.libvirt.local).
        localVolumes = new io.limiquantix.node.libvirt.internal.storage.LocalVolumes(dm,
            context.getProperty(io.limiquantix.node.libvirt.internal.storage.LocalPoolConfig.ROOTS_PROPERTY),
            context.getProperty(io.limiquantix.node.libvirt.internal.storage.LocalVolumes.DISABLE_PROPERTY));
        Hashtable<String, Object> localProps = new Hashtable<>();
        localProps.put(Constants.SERVICE_PID, io.limiquantix.node.libvirt.internal.storage.LocalPoolConfig.PID);
        dm.add(createComponent().setInterface(org.osgi.service.cm.ManagedService.class.getName(), localProps).setImplementation(localVolumes));
        LOG.info("libvirt bundle started in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
    }

    @Override
    public void stop(BundleContext context) throws Exception {
        try {
            super.stop(context); // destroy(), then DM removes the components (their last callbacks)
        } finally {
            // Neither DM nor JNA forgets the classes of a bundle that is gone: without this every update or
            // reinstall would keep the previous revision's class loader (RevisionCollectedIT). JNA's caches are
            // cleared again here because DM's last callbacks (after destroy) may still have used JNA.
            ClassLoader loader = Activator.class.getClassLoader();
            int forgotten = DmCaches.forget(loader);
            int jna = JnaCaches.forget(loader, !EventLoop.callbacksMayBeCalled());
            LOG.fine(() -> "removed " + forgotten + " entries of this bundle's classes from Dependency Manager's method cache"
                + " and " + jna + " more from JNA's");
        }
    }

    @Override
    public void destroy(BundleContext context, DependencyManager dm) {
        long t0 = System.nanoTime();
        if (defaults != null) defaults.close();
        org.osgi.framework.ServiceRegistration<?> condition = settledCondition;
        settledCondition = null;
        if (condition != null) {
            try {
                condition.unregister();
            } catch (IllegalStateException e) {
                // already gone with the bundle
            }
        }
        if (backends != null) backends.stopAll();
        if (localVolumes != null) localVolumes.close();
        long t1 = System.nanoTime();
        eventLoop.stop();
        io.limiquantix.node.libvirt.internal.backend.BulkStats.unbind();
        int forgotten = JnaCaches.forget(Activator.class.getClassLoader(), !EventLoop.callbacksMayBeCalled());
        LOG.fine(() -> "removed " + forgotten + " entries of this bundle's classes from JNA's caches");
        LOG.info("libvirt bundle stopped in " + (System.nanoTime() - t0) / 1_000_000 + " ms (backends closed in "
            + (t1 - t0) / 1_000_000 + " ms); its VMs are untouched"
            + (EventLoop.callbacksMayBeCalled() ? "; its JNA callbacks are kept (libvirt may still call one), so this"
                + " revision stays in memory" : ""));
    }
}
