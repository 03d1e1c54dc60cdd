package io.limiquantix.node.libvirt.internal;

import java.util.Dictionary;
import java.util.logging.Logger;
import org.osgi.service.cm.ConfigurationException;
import org.osgi.service.cm.ManagedServiceFactory;

/**
 * One libvirt backend per factory configuration of {@link BackendConfig#FACTORY_PID}. ConfigAdmin calls
 * this on its own thread; nothing here blocks (backends connect in the background).
 */
final class BackendFactory implements ManagedServiceFactory {
    private static final Logger LOG = Logger.getLogger(BackendFactory.class.getName());

    private final BackendRegistry backends;
    private final DefaultBackends defaults;

    BackendFactory(BackendRegistry backends, DefaultBackends defaults) {
        this.backends = backends;
        this.defaults = defaults;
    }

    @Override
    public String getName() {
        return "LimiQuantix libvirt backends";
    }

    @Override
    public void updated(String pid, Dictionary<String, ?> properties) throws ConfigurationException {
        // A configuration exists: the embedded defaults give way before anything registers, so a
        // configured backend may take a default's name.
        defaults.configurationExists(pid);
        BackendConfig config;
        try {
            config = BackendConfig.parse(properties);
        } catch (ConfigurationException e) {
            backends.stop(pid);
            LOG.severe("libvirt backend configuration " + pid + " is invalid and registers nothing: property '" + e.getProperty()
                + "' " + e.getReason());
            throw e;
        }
        try {
            backends.start(pid, config);
        } catch (BackendRegistry.NameTakenException e) {
            backends.stop(pid);
            LOG.severe("libvirt backend configuration " + pid + " registers nothing: property 'name' " + e.getMessage());
            throw new ConfigurationException("name", e.getMessage());
        }
    }

    @Override
    public void deleted(String pid) {
        backends.stop(pid);
        defaults.configurationDeleted(pid);
    }
}
