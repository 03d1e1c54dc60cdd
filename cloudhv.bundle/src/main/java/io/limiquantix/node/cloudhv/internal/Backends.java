package io.limiquantix.node.cloudhv.internal;

import io.limiquantix.node.api.Hypervisor;
import io.limiquantix.node.cloudhv.internal.backend.CapabilityProbe;
import io.limiquantix.node.cloudhv.internal.backend.CloudHvHypervisor;
import io.limiquantix.node.cloudhv.internal.chapi.ChApiClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import org.apache.felix.dm.Component;
import org.apache.felix.dm.DependencyManager;
import org.osgi.framework.Constants;

/**
 * The Cloud Hypervisor backends this bundle runs, by key (a configuration PID or {@code default:cloudhv}).
 * A backend's service is registered only after it has probed the host and re-adopted its VMMs (on this
 * class's own thread), so the capabilities the runtime reads at registration are the real ones and its
 * first listing already has every VM. Removing a backend unregisters it and leaves its VMMs running.
 */
final class Backends {
    private static final Logger LOG = Logger.getLogger(Backends.class.getName());
    static final Duration VMM_START_WAIT = Duration.ofSeconds(10);
    /** How often a backend that is not capable looks again (the binary may be installed, KVM enabled). */
    static final long RECHECK_SECONDS = 60;

    private record Entry(CloudHvConfig config, CloudHvHypervisor hypervisor, Component component) {
    }

    private final DependencyManager dm;
    private final ChApiClient api;
    private final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "lq-cloudhv-backends");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, Entry> byKey = new HashMap<>();

    Backends(DependencyManager dm, ChApiClient api) {
        this.dm = dm;
        this.api = api;
        worker.scheduleWithFixedDelay(this::recheckNotCapable, RECHECK_SECONDS, RECHECK_SECONDS, TimeUnit.SECONDS);
    }

    /**
     * The runtime reads a backend's capabilities once per registration, so a backend that has become capable
     * is started afresh (probe, adoption, new registration) rather than changed in place.
     */
    private synchronized void recheckNotCapable() {
        for (Map.Entry<String, Entry> e : new ArrayList<>(byKey.entrySet())) {
            if (e.getValue().hypervisor().capabilities().capable()) continue;
            try {
                if (!e.getValue().hypervisor().probe().capabilities().capable()) continue;
                LOG.info("Cloud Hypervisor backend " + e.getValue().config().name() + " has become capable; registering it again");
                CloudHvConfig config = e.getValue().config();
                stopNow(e.getKey());
                startNow(e.getKey(), config);
            } catch (RuntimeException ex) {
                LOG.log(java.util.logging.Level.WARNING, "re-checking Cloud Hypervisor backend " + e.getKey() + " failed", ex);
            }
        }
    }

    /** Starts (or replaces) the backend under {@code key} in the background. */
    void start(String key, CloudHvConfig config) {
        submit(() -> {
            try {
                startNow(key, config);
            } catch (RuntimeException e) {
                LOG.log(java.util.logging.Level.SEVERE, "Cloud Hypervisor backend " + config.name() + " (" + key + ") failed to start", e);
            }
        });
    }

    void stop(String key) {
        submit(() -> stopNow(key));
    }

    private void submit(Runnable r) {
        try {
            worker.execute(r);
        } catch (RejectedExecutionException e) {
            // closing
        }
    }

    private synchronized void startNow(String key, CloudHvConfig config) {
        Entry old = byKey.get(key);
        if (old != null && old.config().equals(config)) return;
        if (old != null) stopNow(key);
        for (Map.Entry<String, Entry> e : byKey.entrySet()) {
            if (e.getValue().config().name().equals(config.name())) {
                LOG.severe("Cloud Hypervisor backend " + key + " registers nothing: name '" + config.name() + "' is already used by " + e.getKey());
                return;
            }
        }
        CloudHvHypervisor hv = new CloudHvHypervisor(config.name(), new CloudHvHypervisor.Settings(config.binary(),
            !config.binaryExplicit(), config.stateDir(), config.skipKvmCheck(), VMM_START_WAIT),
            CapabilityProbe.Host.real(config.firmware()), api);
        hv.open();
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(Hypervisor.PROP_NAME, config.name());
        props.put(Hypervisor.PROP_TYPE, CapabilityProbe.TYPE);
        props.put(Constants.SERVICE_RANKING, config.ranking());
        props.put("limiquantix.cloudhv.stateDir", config.stateDir().toString());
        Component c = dm.createComponent().setInterface(Hypervisor.class.getName(), props).setImplementation(hv);
        dm.add(c);
        byKey.put(key, new Entry(config, hv, c));
        LOG.info("registered Cloud Hypervisor backend " + config.name() + " (ranking " + config.ranking() + ", state in "
            + config.stateDir() + "): " + (hv.capabilities().capable() ? "capable" : "not capable: " + hv.capabilities().notCapableReason()));
    }

    private synchronized void stopNow(String key) {
        Entry e = byKey.remove(key);
        if (e == null) return;
        dm.remove(e.component());
        e.hypervisor().close();
        LOG.info("unregistered Cloud Hypervisor backend " + e.config().name() + "; its VMMs keep running");
    }

    /** Unregisters everything and waits (bounded) for the worker; VMMs keep running. */
    void close() {
        worker.shutdown();
        try {
            worker.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            for (String key : new ArrayList<>(byKey.keySet())) stopNow(key);
        }
    }
}
