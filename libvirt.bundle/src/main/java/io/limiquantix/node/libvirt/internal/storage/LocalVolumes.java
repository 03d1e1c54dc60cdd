package io.limiquantix.node.libvirt.internal.storage;

import io.limiquantix.node.api.InvalidArgumentException;
import io.limiquantix.node.api.storage.VolumeProvider;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;
import org.apache.felix.dm.Component;
import org.apache.felix.dm.DependencyManager;
import org.osgi.service.cm.ConfigurationException;
import org.osgi.service.cm.ManagedService;

/**
 * Registers the {@code local} {@link VolumeProvider} following the configuration {@value LocalPoolConfig#PID}
 * (ManagedService): with no configuration the defaults ({@code local}, pool {@code limiquantix-local} in
 * {@value LocalPoolConfig#DEFAULT_PATH} on {@code qemu:///system}); {@code enabled=false} registers nothing; a
 * bad configuration registers nothing and is refused with the property's name. Registering touches nothing in
 * libvirt: the pool is checked (and made) on the provider's first call.
 */
public final class LocalVolumes implements ManagedService {
    private static final Logger LOG = Logger.getLogger(LocalVolumes.class.getName());
    /** Framework property: {@code false} turns the provider off whatever the configuration says. */
    public static final String DISABLE_PROPERTY = "limiquantix.local.volumes";

    private final DependencyManager dm;
    private final List<Path> roots;
    private final boolean allowed;
    /**
     * Not a plain {@code Component} field: Dependency Manager injects its own Component into fields of that type of
     * a component's implementation (this object is one), which made removing "our" component remove ourselves.
     */
    private final java.util.concurrent.atomic.AtomicReference<Component> component = new java.util.concurrent.atomic.AtomicReference<>();
    private LocalVolumeProvider provider;

    public LocalVolumes(DependencyManager dm, String rootsProperty, String disableProperty) {
        this.dm = dm;
        this.roots = LocalPoolConfig.roots(rootsProperty);
        this.allowed = !"false".equalsIgnoreCase(disableProperty);
    }

    @Override
    public synchronized void updated(Dictionary<String, ?> properties) throws ConfigurationException {
        LOG.fine(() -> "configuration " + LocalPoolConfig.PID + (properties == null ? ": none, defaults" : ": " + properties));
        Map<String, Object> props = new HashMap<>();
        if (properties != null) for (String key : Collections.list(properties.keys())) props.put(key, properties.get(key));
        if (!allowed || "false".equalsIgnoreCase(String.valueOf(props.getOrDefault("enabled", "true")).strip())) {
            close();
            LOG.info("volume provider local: off (" + (allowed ? "enabled=false in " + LocalPoolConfig.PID : DISABLE_PROPERTY + "=false") + ")");
            return;
        }
        LocalPoolConfig config;
        try {
            config = LocalPoolConfig.from(props, roots);
        } catch (InvalidArgumentException e) {
            close();
            LOG.severe("configuration " + LocalPoolConfig.PID + " refused, no local volume provider: property '" + e.field() + "' " + e.reason());
            throw new ConfigurationException(e.field(), e.reason());
        }
        if (provider != null && provider.config().equals(config)) return;
        close();
        provider = new LocalVolumeProvider(config);
        Hashtable<String, Object> sp = new Hashtable<>();
        sp.put(VolumeProvider.PROP_NAME, config.providerName());
        sp.put("limiquantix.volume.pool", config.pool());
        sp.put("limiquantix.libvirt.uri", config.uri());
        Component c = dm.createComponent().setInterface(VolumeProvider.class.getName(), sp).setImplementation(provider);
        component.set(c);
        dm.add(c);
        LOG.info("volume provider " + config.providerName() + ": libvirt directory pool " + config.pool() + " at " + config.path()
            + " on " + config.uri());
    }

    /** Withdraws the provider (bundle stop); not named stop(): Dependency Manager calls that on its components. */
    public synchronized void close() {
        Component c = component.getAndSet(null);
        if (c != null) dm.remove(c);
        if (provider != null) provider.close();
        provider = null;
    }
}
