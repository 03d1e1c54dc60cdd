package io.limiquantix.node.libvirt.internal;

import io.limiquantix.node.api.Hypervisor;
import io.limiquantix.node.libvirt.internal.backend.LibvirtHypervisor;
import io.limiquantix.node.libvirt.internal.backend.SecretLookup;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;
import org.apache.felix.dm.Component;
import org.apache.felix.dm.DependencyManager;
import org.osgi.framework.Constants;

/**
 * The backends this bundle has registered, whether from a factory configuration or the embedded default.
 * Backend names are unique across both. Removing a backend unregisters its service first, then closes its
 * connection and threads; its VMs stay with libvirtd.
 */
final class Backends implements BackendRegistry {
    private static final Logger LOG = Logger.getLogger(Backends.class.getName());

    private record Entry(BackendConfig config, LibvirtHypervisor hypervisor, Component component) {
    }

    private final DependencyManager dm;
    private final SecretLookup secrets;
    private final Map<String, Entry> byKey = new LinkedHashMap<>();

    Backends(DependencyManager dm) {
        this(dm, SecretLookup.NONE);
    }

    Backends(DependencyManager dm, SecretLookup secrets) {
        this.dm = dm;
        this.secrets = secrets;
    }

    /** Registers a backend under {@code key} (a configuration PID or a default's name); replaces one there. */
    @Override
    public void start(String key, BackendConfig config) throws NameTakenException {
        Entry replaced;
        Entry added;
        synchronized (this) {
            for (Map.Entry<String, Entry> e : byKey.entrySet())
                if (!e.getKey().equals(key) && e.getValue().config().name().equals(config.name()))
                    throw new NameTakenException("name '" + config.name() + "' is already used by backend " + e.getKey());
            Entry old = byKey.get(key);
            if (old != null && old.config().equals(config)) return;
            replaced = byKey.remove(key);
            if (replaced != null) dm.remove(replaced.component());
            LibvirtHypervisor hv = new LibvirtHypervisor(config.name(), config.uri(), config.accel(), secrets);
            hv.open();
            Hashtable<String, Object> props = new Hashtable<>();
            props.put(Hypervisor.PROP_NAME, config.name());
            props.put(Hypervisor.PROP_TYPE, "libvirt");
            props.put(Constants.SERVICE_RANKING, config.ranking());
            props.put("limiquantix.libvirt.uri", config.uri());
            Component c = dm.createComponent().setInterface(Hypervisor.class.getName(), props).setImplementation(hv);
            dm.add(c);
            added = new Entry(config, hv, c);
            byKey.put(key, added);
        }
        if (replaced != null) closed(replaced);
        LOG.info("registered libvirt backend " + config.name() + " on " + config.uri() + " (ranking " + config.ranking()
            + ", accel=" + config.accel().name().toLowerCase(java.util.Locale.ROOT) + ")");
        logLive();
    }

    /** Unregisters at once; closing the connection (which may wait briefly for its thread) happens outside the lock. */
    @Override
    public void stop(String key) {
        Entry e;
        synchronized (this) {
            e = byKey.remove(key);
            if (e == null) return;
            dm.remove(e.component());
        }
        closed(e);
        logLive();
    }

    private void closed(Entry e) {
        e.hypervisor().close();
        LOG.info("unregistered libvirt backend " + e.config().name() + " (" + e.config().uri() + "); its VMs are untouched");
    }

    void stopAll() {
        for (String key : keys()) stop(key);
    }

    @Override
    public synchronized boolean has(String key) {
        return byKey.containsKey(key);
    }

    synchronized List<String> keys() {
        return new ArrayList<>(byKey.keySet());
    }

    private synchronized void logLive() {
        List<String> live = new ArrayList<>();
        for (Entry e : byKey.values()) live.add(e.config().name() + " (" + e.config().uri() + ", ranking " + e.config().ranking() + ")");
        LOG.info("libvirt backends live: " + (live.isEmpty() ? "none" : String.join(", ", live)));
    }
}
