package io.limiquantix.node.rpc.internal;

import io.limiquantix.node.runtime.NodeService;
import java.util.Hashtable;
import org.apache.felix.dm.DependencyActivatorBase;
import org.apache.felix.dm.DependencyManager;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.condition.Condition;
import org.osgi.service.cm.ManagedService;

/**
 * One component: the gRPC server (and its JSON-over-HTTP face on the Felix HTTP whiteboard, when there is one),
 * alive while a NodeService is. It is also the ManagedService for
 * {@value RpcConfig#PID}, so that configuration reaches it only while it runs. Stopping the bundle stops the
 * component and with it the server, its threads and its port.
 */
public final class Activator extends DependencyActivatorBase {
    @Override
    public void init(BundleContext context, DependencyManager dm) {
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(Constants.SERVICE_PID, RpcConfig.PID);
        dm.add(createComponent()
            .setInterface(ManagedService.class.getName(), props)
            .setImplementation(new RpcLifecycle(context::getProperty, (gateway, consoles) -> HttpFrontEnd.open(context, gateway, consoles))
                .startInBackground(() -> listening = registerCondition(context)))
            .add(createServiceDependency().setService(NodeService.class).setRequired(true)));
    }

    /** Registered once the first start of the server has been attempted; the node's readiness report waits for it (bnd.bnd). */
    static final String LISTENING = "limiquantix.rpc.listening";
    private volatile ServiceRegistration<?> listening;

    private static ServiceRegistration<?> registerCondition(BundleContext context) {
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(Condition.CONDITION_ID, LISTENING);
        try {
            return context.registerService(Condition.class, Condition.INSTANCE, props);
        } catch (IllegalStateException e) {
            return null; // the bundle is stopping
        }
    }

    @Override
    public void destroy(BundleContext context, DependencyManager dm) {
        // DM stops the component, which closes the server.
        ServiceRegistration<?> r = listening;
        listening = null;
        if (r != null) {
            try {
                r.unregister();
            } catch (IllegalStateException e) {
                // gone with the bundle
            }
        }
    }
}
