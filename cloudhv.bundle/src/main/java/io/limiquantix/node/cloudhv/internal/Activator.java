package io.limiquantix.node.cloudhv.internal;

import io.limiquantix.node.cloudhv.internal.chapi.ChApiClient;
import java.time.Duration;
import java.util.Hashtable;
import org.apache.felix.dm.DependencyActivatorBase;
import org.apache.felix.dm.DependencyManager;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.cm.ConfigurationListener;
import org.osgi.service.cm.ManagedServiceFactory;

/**
 * Wires the bundle: one HTTP client shared by every backend, the factory that turns configurations into
 * backends, and the embedded default. Stopping the bundle unregisters every backend and closes the client;
 * no VMM is touched, they are re-adopted when the bundle starts again.
 */
public class Activator extends DependencyActivatorBase {
    /** Bound on one API call; CH answers its local API in milliseconds unless it is wedged. */
    static final Duration API_TIMEOUT = Duration.ofSeconds(10);

    private ChApiClient api;
    private Backends backends;
    private DefaultBackend defaults;

    @Override
    public void init(BundleContext context, DependencyManager dm) {
        api = new ChApiClient(API_TIMEOUT);
        backends = new Backends(dm, api);
        defaults = new DefaultBackend(backends, CloudHvConfig.defaults(context::getProperty),
            !"false".equalsIgnoreCase(context.getProperty(DefaultBackend.DISABLE_PROPERTY)));
        Hashtable<String, Object> factoryProps = new Hashtable<>();
        factoryProps.put(Constants.SERVICE_PID, CloudHvConfig.FACTORY_PID);
        dm.add(createComponent()
            .setInterface(ManagedServiceFactory.class.getName(), factoryProps)
            .setImplementation(new BackendFactory(backends, defaults, context::getProperty)));
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
        if (backends != null) backends.close();
        if (api != null) api.close();
    }
}
