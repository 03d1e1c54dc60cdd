package io.limiquantix.node.cloudhv.internal;

import java.util.Dictionary;
import java.util.function.Function;
import java.util.logging.Logger;
import org.osgi.service.cm.ConfigurationException;
import org.osgi.service.cm.ManagedServiceFactory;

/** One Cloud Hypervisor backend per factory configuration of {@link CloudHvConfig#FACTORY_PID}; never blocks ConfigAdmin. */
final class BackendFactory implements ManagedServiceFactory {
    private static final Logger LOG = Logger.getLogger(BackendFactory.class.getName());

    private final Backends backends;
    private final DefaultBackend defaults;
    private final Function<String, String> frameworkProperty;

    BackendFactory(Backends backends, DefaultBackend defaults, Function<String, String> frameworkProperty) {
        this.backends = backends;
        this.defaults = defaults;
        this.frameworkProperty = frameworkProperty;
    }

    @Override
    public String getName() {
        return "LimiQuantix Cloud Hypervisor backends";
    }

    @Override
    public void updated(String pid, Dictionary<String, ?> properties) throws ConfigurationException {
        defaults.configurationExists(pid);
        CloudHvConfig config;
        try {
            config = CloudHvConfig.parse(properties, frameworkProperty);
        } catch (ConfigurationException e) {
            backends.stop(pid);
            LOG.severe("Cloud Hypervisor backend configuration " + pid + " is invalid and registers nothing: property '"
                + e.getProperty() + "' " + e.getReason());
            throw e;
        }
        if (config.skipKvmCheck())
            LOG.warning("Cloud Hypervisor backend " + config.name() + " has " + CloudHvConfig.SKIP_KVM_CHECK
                + "=true: a TEST-ONLY setting; it may claim to run VMs on a host without KVM");
        backends.start(pid, config);
    }

    @Override
    public void deleted(String pid) {
        backends.stop(pid);
        defaults.configurationDeleted(pid);
    }
}
