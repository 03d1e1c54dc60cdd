package io.limiquantix.node.cloudhv.internal;

import java.io.IOException;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.cm.ConfigurationEvent;
import org.osgi.service.cm.ConfigurationListener;

/**
 * The embedded default backend {@code cloudhv} (ranking 200): present while no factory configuration of
 * {@link CloudHvConfig#FACTORY_PID} exists, unless the framework property {@value #DISABLE_PROPERTY} is
 * {@code false}. On a host without the binary or KVM it registers and reports itself not capable, so
 * placement shows why no VM goes there.
 */
final class DefaultBackend implements ConfigurationListener {
    private static final Logger LOG = Logger.getLogger(DefaultBackend.class.getName());
    static final String DISABLE_PROPERTY = "limiquantix.cloudhv.defaults";
    static final String KEY = "default:cloudhv";

    private final Backends backends;
    private final CloudHvConfig config;
    private final boolean enabled;
    private final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "lq-cloudhv-default");
        t.setDaemon(true);
        return t;
    });
    private final Set<String> knownPids = new HashSet<>();
    private volatile ConfigurationAdmin configAdmin;
    private boolean active;

    DefaultBackend(Backends backends, CloudHvConfig config, boolean enabled) {
        this.backends = backends;
        this.config = config;
        this.enabled = enabled;
        if (!enabled) LOG.info("the embedded default Cloud Hypervisor backend is disabled (" + DISABLE_PROPERTY + "=false)");
    }

    /** ConfigAdmin usually reports existing configurations within moments of start; wait for it briefly. */
    void start() {
        schedule(configAdmin == null ? 2 : 0);
    }

    void configAdminAdded(ConfigurationAdmin ca) {
        configAdmin = ca;
        schedule(0);
    }

    void configAdminRemoved(ConfigurationAdmin ca) {
        if (configAdmin == ca) configAdmin = null;
    }

    @Override
    public void configurationEvent(ConfigurationEvent event) {
        if (CloudHvConfig.FACTORY_PID.equals(event.getFactoryPid())) schedule(0);
    }

    synchronized void configurationExists(String pid) {
        knownPids.add(pid);
        withdraw("factory configuration " + pid + " exists");
    }

    void configurationDeleted(String pid) {
        synchronized (this) {
            knownPids.remove(pid);
        }
        schedule(0);
    }

    private void schedule(long seconds) {
        try {
            worker.schedule(this::evaluate, seconds, TimeUnit.SECONDS);
        } catch (RejectedExecutionException e) {
            // closed
        }
    }

    private synchronized void evaluate() {
        if (!enabled) return;
        if (!knownPids.isEmpty() || configurationsPresent()) withdraw("a factory configuration of " + CloudHvConfig.FACTORY_PID + " exists");
        else if (!active) {
            active = true;
            backends.start(KEY, config);
        }
    }

    private boolean configurationsPresent() {
        ConfigurationAdmin ca = configAdmin;
        if (ca == null) return false;
        try {
            Configuration[] found = ca.listConfigurations("(service.factoryPid=" + CloudHvConfig.FACTORY_PID + ")");
            return found != null && found.length > 0;
        } catch (IOException | InvalidSyntaxException | RuntimeException e) {
            return active; // keep things as they are when ConfigAdmin cannot answer
        }
    }

    private synchronized void withdraw(String why) {
        if (!active) return;
        active = false;
        LOG.info("withdrawing the embedded default Cloud Hypervisor backend: " + why);
        backends.stop(KEY);
    }

    void close() {
        worker.shutdownNow();
        try {
            // No thread of this bundle may outlive its stop (it would keep the bundle's class loader alive).
            worker.awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
