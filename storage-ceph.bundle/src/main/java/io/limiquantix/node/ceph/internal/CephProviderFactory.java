package io.limiquantix.node.ceph.internal;

import io.limiquantix.node.api.InvalidArgumentException;
import io.limiquantix.node.api.storage.VolumeProvider;
import java.lang.System.Logger.Level;
import java.util.Collections;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.felix.dm.Component;
import org.apache.felix.dm.DependencyManager;
import org.osgi.service.cm.ConfigurationException;
import org.osgi.service.cm.ManagedServiceFactory;

/**
 * One RbdVolumeProvider per factory configuration of {@value CephConfig#FACTORY_PID}. There is no default
 * instance: without configuration the bundle registers nothing. Configurations are validated here, so a
 * bad one is reported by ConfigAdmin with the offending property and registers no provider.
 */
final class CephProviderFactory implements ManagedServiceFactory {
    private static final System.Logger LOG = System.getLogger(CephProviderFactory.class.getName());
    /** Service property on the secret lookup service: which kind of libvirt secret it serves. */
    static final String PROP_SECRET_USAGE = "limiquantix.secret.usage";

    private record Registered(RbdVolumeProvider provider, List<Component> components) {
    }

    private final DependencyManager dm;
    private final Map<String, Registered> byPid = new HashMap<>();

    CephProviderFactory(DependencyManager dm) {
        this.dm = dm;
    }

    @Override
    public String getName() {
        return "LimiQuantix Ceph RBD volume providers";
    }

    @Override
    public synchronized void updated(String pid, Dictionary<String, ?> properties) throws ConfigurationException {
        remove(pid);
        Map<String, Object> props = new HashMap<>();
        for (String key : Collections.list(properties.keys())) props.put(key, properties.get(key));
        CephConfig config;
        try {
            config = CephConfig.from(props);
        } catch (InvalidArgumentException e) {
            LOG.log(Level.ERROR, "ceph configuration {0} refused: {1}", pid, e.getMessage());
            throw new ConfigurationException(e.field(), e.reason());
        }
        for (Registered r : byPid.values())
            if (r.provider().name().equals(config.providerName()))
                throw new ConfigurationException(CephConfig.NAME, "another configuration already provides volume provider '" + config.providerName() + "'");
        CephLibraries libs = CephLibraries.get();
        if (libs == null) {
            LOG.log(Level.ERROR, "ceph configuration {0}: {1}", pid, CephLibraries.failure());
            throw new ConfigurationException(null, CephLibraries.failure());
        }
        RbdVolumeProvider provider = new RbdVolumeProvider(new CephCluster(config, libs));
        Hashtable<String, Object> volumeProps = new Hashtable<>();
        volumeProps.put(VolumeProvider.PROP_NAME, provider.name());
        volumeProps.put("ceph.cluster", config.name());
        volumeProps.put("ceph.pool", config.pool());
        Hashtable<String, Object> secretProps = new Hashtable<>();
        secretProps.put(VolumeProvider.PROP_NAME, provider.name());
        secretProps.put(PROP_SECRET_USAGE, "ceph");
        Component volumes = dm.createComponent().setInterface(VolumeProvider.class.getName(), volumeProps).setImplementation(provider);
        Component secrets = dm.createComponent().setInterface(Function.class.getName(), secretProps).setImplementation(provider.secretLookup());
        dm.add(volumes);
        dm.add(secrets);
        byPid.put(pid, new Registered(provider, List.of(volumes, secrets)));
        LOG.log(Level.INFO, "volume provider ''{0}'': pool {1} of ceph cluster ''{2}'' at {3} as {4}",
            provider.name(), config.pool(), config.name(), String.join(",", config.monitors()), config.entity());
    }

    @Override
    public synchronized void deleted(String pid) {
        remove(pid);
    }

    synchronized void removeAll() {
        for (String pid : List.copyOf(byPid.keySet())) remove(pid);
    }

    private void remove(String pid) {
        Registered r = byPid.remove(pid);
        if (r == null) return;
        r.components().forEach(dm::remove);
        r.provider().close();
    }
}
