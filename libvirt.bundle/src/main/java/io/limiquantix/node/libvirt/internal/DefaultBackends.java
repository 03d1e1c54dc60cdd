package io.limiquantix.node.libvirt.internal;

import io.limiquantix.node.libvirt.internal.backend.AccelDecision;
import io.limiquantix.node.libvirt.internal.backend.DaemonProbe;
import java.io.IOException;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.cm.ConfigurationEvent;
import org.osgi.service.cm.ConfigurationListener;

/**
 * The embedded default: with no factory configuration at all, a backend {@code test} on libvirt's
 * in-process test driver (ranking 10) and, when a libvirtd answers there, {@code qemu} on
 * {@code qemu:///system} (ranking 100), so that a first start always has something to look at. As soon as
 * any factory configuration exists both are withdrawn. The qemu probe runs on this class's own thread
 * with a bounded wait and is repeated every 30 s while the daemon does not answer.
 */
final class DefaultBackends implements ConfigurationListener {
    private static final Logger LOG = Logger.getLogger(DefaultBackends.class.getName());
    static final String DISABLE_PROPERTY = "limiquantix.libvirt.defaults";
    static final BackendConfig TEST = new BackendConfig("test", "test:///default", 10, AccelDecision.Requested.AUTO);
    static final BackendConfig QEMU = new BackendConfig("qemu", "qemu:///system", 100, AccelDecision.Requested.AUTO);
    private static final String TEST_KEY = "default:test";
    private static final String QEMU_KEY = "default:qemu";
    private static final long PROBE_INTERVAL_SECONDS = 30;
    private static final long PROBE_TIMEOUT_SECONDS = 10;

    private final BackendRegistry backends;
    private final boolean enabled;
    private final Function<String, String> daemonProbe;
    private final long probeIntervalSeconds;
    private final ScheduledExecutorService worker;
    private volatile ConfigurationAdmin configAdmin;
    private final Set<String> knownPids = new HashSet<>();
    private boolean active;
    private ScheduledFuture<?> probe;
    /** Told once, when the first decision is made and carried out (see {@link #whenSettled}). */
    private volatile Runnable settled = () -> { };
    private final java.util.concurrent.atomic.AtomicBoolean settledOnce = new java.util.concurrent.atomic.AtomicBoolean();

    DefaultBackends(BackendRegistry backends, boolean enabled) {
        this(backends, enabled, uri -> DaemonProbe.answers(uri, PROBE_TIMEOUT_SECONDS), PROBE_INTERVAL_SECONDS);
    }

    /** {@code daemonProbe} answers null when a libvirtd answers at the URI, else why not. */
    DefaultBackends(BackendRegistry backends, boolean enabled, Function<String, String> daemonProbe, long probeIntervalSeconds) {
        this.backends = backends;
        this.enabled = enabled;
        this.daemonProbe = daemonProbe;
        this.probeIntervalSeconds = probeIntervalSeconds;
        this.worker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "lq-libvirt-defaults");
            t.setDaemon(true);
            return t;
        });
        if (!enabled) LOG.info("embedded default libvirt backends are disabled (" + DISABLE_PROPERTY + "=false)");
    }

    /**
     * {@code then} runs once (on this class's thread), when the defaults have had their first say: registered
     * with qemu:///system probed once (answering or not), withdrawn because configurations exist, or disabled.
     * The node's readiness report waits for it, so that it does not call the node ready a moment before the
     * default backends appear.
     */
    void whenSettled(Runnable then) {
        settled = then;
    }

    /** Queues the announcement on this class's thread, so that it never runs under this object's lock. */
    private void settle() {
        if (settledOnce.getAndSet(true)) return;
        try {
            worker.execute(() -> {
                try {
                    settled.run();
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "could not announce that the libvirt defaults are settled", e);
                }
            });
        } catch (RejectedExecutionException e) {
            // closed: nobody waits any more
        }
    }

    /** DM callbacks for the optional ConfigurationAdmin dependency. */
    void configAdminAdded(ConfigurationAdmin ca) {
        configAdmin = ca;
        reconsider();
    }

    void configAdminRemoved(ConfigurationAdmin ca) {
        if (configAdmin == ca) configAdmin = null;
    }

    @Override
    public void configurationEvent(ConfigurationEvent event) {
        if (BackendConfig.FACTORY_PID.equals(event.getFactoryPid())) reconsider();
    }

    /**
     * Called synchronously by the factory before it registers a configured backend. The PIDs it reports are
     * remembered too, so that the defaults stay down even while the ConfigAdmin service reference has not
     * reached this object yet.
     */
    synchronized void configurationExists(String pid) {
        knownPids.add(pid);
        withdraw("factory configuration " + pid + " exists");
    }

    /** Called by the factory when a configuration is deleted; the defaults may come back. */
    void configurationDeleted(String pid) {
        synchronized (this) {
            knownPids.remove(pid);
        }
        reconsider();
    }

    /** Re-reads ConfigAdmin (off the caller's thread) and brings the defaults up or down. */
    void reconsider() {
        try {
            worker.execute(this::evaluate);
        } catch (RejectedExecutionException e) {
            // closed
        }
    }

    /**
     * ConfigAdmin usually arrives with or just after this bundle; giving it a moment avoids registering the
     * defaults only to withdraw them when it reports the configurations it already has.
     */
    void start() {
        try {
            worker.schedule(this::evaluate, configAdmin == null ? 2 : 0, TimeUnit.SECONDS);
        } catch (RejectedExecutionException e) {
            // closed
        }
    }

    private synchronized void evaluate() {
        if (!enabled) {
            settle();
            return;
        }
        boolean configured = !knownPids.isEmpty() || configurationsPresent();
        if (configured) {
            withdraw("a factory configuration of " + BackendConfig.FACTORY_PID + " exists");
            settle();
        } else if (!active) {
            activate(); // settles after the first probe of qemu:///system
        }
    }

    private boolean configurationsPresent() {
        ConfigurationAdmin ca = configAdmin;
        if (ca == null) return false; // without ConfigAdmin there can be no factory configuration
        try {
            Configuration[] found = ca.listConfigurations("(service.factoryPid=" + BackendConfig.FACTORY_PID + ")");
            return found != null && found.length > 0;
        } catch (IOException | InvalidSyntaxException | RuntimeException e) {
            LOG.log(Level.WARNING, "cannot list configurations; keeping the libvirt defaults as they are", e);
            return !active;
        }
    }

    private void activate() {
        active = true;
        try {
            backends.start(TEST_KEY, TEST);
        } catch (BackendRegistry.NameTakenException e) {
            LOG.warning("default backend test not registered: " + e.getMessage());
        }
        probe = worker.scheduleWithFixedDelay(this::probeQemu, 0, probeIntervalSeconds, TimeUnit.SECONDS);
    }

    private synchronized void withdraw(String why) {
        if (!active) return;
        active = false;
        if (probe != null) probe.cancel(false);
        probe = null;
        LOG.info("withdrawing the embedded default libvirt backends: " + why);
        backends.stop(TEST_KEY);
        backends.stop(QEMU_KEY);
    }

    private void probeQemu() {
        try {
            probeQemuOnce();
        } finally {
            settle();
        }
    }

    private void probeQemuOnce() {
        synchronized (this) {
            if (!active || backends.has(QEMU_KEY)) {
                if (probe != null && backends.has(QEMU_KEY)) probe.cancel(false);
                return;
            }
        }
        String why = daemonProbe.apply(QEMU.uri());
        synchronized (this) {
            if (!active) return;
            if (why == null) {
                try {
                    backends.start(QEMU_KEY, QEMU);
                    if (probe != null) probe.cancel(false);
                } catch (BackendRegistry.NameTakenException e) {
                    LOG.warning("default backend qemu not registered: " + e.getMessage());
                }
            } else {
                LOG.info("no default qemu backend yet: " + why + "; probing again in " + probeIntervalSeconds + " s");
            }
        }
    }

    void close() {
        worker.shutdownNow();
        synchronized (this) {
            active = false;
        }
        try {
            // The worker may be inside a daemon probe (bounded, and interrupted now): wait for it so that no
            // thread of this bundle outlives its stop.
            if (!worker.awaitTermination(5, TimeUnit.SECONDS)) LOG.warning("the libvirt defaults thread did not end within 5 s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
