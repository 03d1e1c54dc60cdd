package io.limiquantix.node.ceph.internal;

import java.util.Hashtable;
import org.apache.felix.dm.DependencyActivatorBase;
import org.apache.felix.dm.DependencyManager;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.service.cm.ManagedServiceFactory;

/**
 * Registers the ManagedServiceFactory for {@value CephConfig#FACTORY_PID}; providers appear as
 * configurations arrive. Stopping the bundle closes the cluster connections and changes nothing on the
 * cluster: VMs keep their disks, which QEMU reaches through its own librbd.
 */
public class Activator extends DependencyActivatorBase {
    private CephProviderFactory factory;

    @Override
    public void init(BundleContext context, DependencyManager dm) {
        factory = new CephProviderFactory(dm);
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(Constants.SERVICE_PID, CephConfig.FACTORY_PID);
        dm.add(createComponent().setInterface(ManagedServiceFactory.class.getName(), props).setImplementation(factory));
    }

    @Override
    public void destroy(BundleContext context, DependencyManager dm) {
        factory.removeAll();
    }
}
