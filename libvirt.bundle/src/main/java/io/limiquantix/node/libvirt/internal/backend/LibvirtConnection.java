package io.limiquantix.node.libvirt.internal.backend;

import io.limiquantix.node.api.BackendFailureException;
import io.limiquantix.node.api.BackendHealth;
import io.limiquantix.node.api.BackendUnavailableException;
import io.limiquantix.node.api.HypervisorException;
import io.limiquantix.node.api.VmEvent;
import java.lang.reflect.Method;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;
import org.libvirt.event.ConnectionCloseReason;
import org.libvirt.event.DomainEvent;
import org.libvirt.event.LifecycleListener;
import org.libvirt.event.RebootListener;

/**
 * One backend's connection to libvirt, kept open by a background thread: it connects, and when libvirt
 * drops the connection (close callback, keepalive, or a call failing with a connection error) it marks the
 * backend UNAVAILABLE and reconnects with exponential backoff. Calls made meanwhile fail at once with
 * {@link BackendUnavailableException}; nothing ever waits for a connection on a caller's thread.
 */
final class LibvirtConnection implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(LibvirtConnection.class.getName());
    private static final int MAX_BACKOFF_SECONDS = 30;
    /** libvirt's VIR_DOMAIN_EVENT_ID_REBOOT, needed to deregister a reboot listener (see {@link #dispose}). */
    private static final int EVENT_ID_REBOOT = 1;

    @FunctionalInterface
    interface Call<T> {
        T apply(Connect c) throws LibvirtException;
    }

    /** Runs on the connector thread after each successful connect, before the backend is marked healthy. */
    @FunctionalInterface
    interface ConnectedHook {
        void connected(Connect c) throws LibvirtException;
    }

    private final String backend;
    private final String uri;
    private final EventHub events;
    private final ConnectedHook hook;
    private final ScheduledExecutorService connector;
    private final LifecycleListener lifecycle = this::onLifecycle;
    private final RebootListener reboot = this::onReboot;

    /** Calls running on the connection now; close() lets them finish (bounded) before it closes it. */
    private final java.util.concurrent.atomic.AtomicInteger inflight = new java.util.concurrent.atomic.AtomicInteger();
    /** How long close() waits for calls in flight. A graceful stop polls in short calls, so it yields soon. */
    static final long DRAIN_MILLIS = 3_000;

    private volatile Connect connect;
    private volatile BackendHealth health;
    private volatile boolean closed;
    private int failures;

    LibvirtConnection(String backend, String uri, EventHub events, ConnectedHook hook) {
        this.backend = backend;
        this.uri = uri;
        this.events = events;
        this.hook = hook;
        this.health = BackendHealth.unavailable("connecting to " + uri);
        this.connector = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "lq-libvirt-" + backend + "-connector");
            t.setDaemon(true);
            return t;
        });
    }

    void open() {
        schedule(0);
    }

    String uri() {
        return uri;
    }

    BackendHealth health() {
        Connect c = connect;
        if (c != null) {
            try {
                // isAlive is local (no round trip): it reports what keepalive and the socket already know.
                if (!c.isAlive()) lost("libvirt connection is no longer alive");
            } catch (LibvirtException e) {
                lost("libvirt connection check failed: " + e.getMessage());
            }
        }
        return health;
    }

    boolean isConnected() {
        return connect != null;
    }

    /** Runs a libvirt call on the current connection; {@code what} names the operation in errors. */
    <T> T call(String what, Call<T> op) {
        // Counted before the connection is read, so that close() never disposes a connection a call is using.
        inflight.incrementAndGet();
        try {
            Connect c = connect;
            if (c == null) throw new BackendUnavailableException("backend " + backend + ": " + what + ": not connected to "
                + uri + " (" + health.detail() + ")");
            return callOn(c, what, op);
        } finally {
            if (inflight.decrementAndGet() == 0 && closed) {
                synchronized (inflight) {
                    inflight.notifyAll();
                }
            }
        }
    }

    private <T> T callOn(Connect c, String what, Call<T> op) {
        try {
            return op.apply(c);
        } catch (LibvirtException e) {
            if (ErrorMapping.isConnectionError(e)) lost(what + " failed: " + e.getMessage());
            throw ErrorMapping.map(backend, what, e);
        } catch (HypervisorException e) {
            throw e;
        } catch (RuntimeException e) {
            // The contract allows only typed errors: anything else (unparseable XML from libvirt, a JNA
            // failure) is this backend failing, said with its cause.
            throw new BackendFailureException("backend " + backend + ": " + what + " failed unexpectedly: " + e, e);
        }
    }

    private void schedule(long delaySeconds) {
        if (closed) return;
        try {
            connector.schedule(this::attempt, delaySeconds, TimeUnit.SECONDS);
        } catch (RejectedExecutionException e) {
            // closed concurrently: nothing to do.
        }
    }

    private void attempt() {
        if (closed || connect != null) return;
        Connect c = null;
        long t0 = System.nanoTime();
        try {
            c = new Connect(uri, false);
            long t1 = System.nanoTime();
            keepAlive(c);
            c.registerCloseListener(this::onClose);
            c.addLifecycleListener(lifecycle);
            c.addRebootListener(reboot);
            long t2 = System.nanoTime();
            hook.connected(c);
            long t3 = System.nanoTime();

            String detail = "connected to " + uri + " (libvirt " + version(c) + ")";
            boolean closedMeanwhile;
            synchronized (this) {
                // Nothing that talks to libvirt runs under this lock: the event loop's close callback takes it.
                closedMeanwhile = closed;
                if (!closedMeanwhile) {
                    connect = c;
                    failures = 0;
                    health = BackendHealth.healthy(detail);
                }
            }
            if (closedMeanwhile) {
                dispose(c);
                return;
            }
            LOG.info("backend " + backend + ": connected to " + uri + " in " + (t3 - t0) / 1_000_000 + " ms (connect "
                + (t1 - t0) / 1_000_000 + ", callbacks " + (t2 - t1) / 1_000_000 + ", probes " + (t3 - t2) / 1_000_000 + ")");
            events.publish(new VmEvent(VmEvent.Type.BACKEND_UP, null, null, backend, health.detail(), null));
        } catch (LibvirtException | RuntimeException e) {
            if (c != null) dispose(c);
            if (closed) return;
            failures++;
            long delay = Math.min(MAX_BACKOFF_SECONDS, 1L << Math.min(failures - 1, 5));
            String why = e instanceof LibvirtException le && le.getError() != null ? le.getError().getMessage() : String.valueOf(e);
            health = BackendHealth.unavailable("cannot connect to " + uri + ": " + why + "; next attempt in " + delay + " s");
            if (failures == 1 || failures % 10 == 0)
                LOG.warning("backend " + backend + ": " + health.detail() + " (attempt " + failures + ")");
            schedule(delay);
        }
    }

    private static void keepAlive(Connect c) {
        try {
            // Probe every 5 s, give up after 3 unanswered probes: a dead daemon is noticed within ~20 s
            // even when no call is in flight. Local drivers do not support keepalive; that is fine.
            c.setKeepAlive(5, 3);
        } catch (LibvirtException e) {
            LOG.log(Level.FINE, "keepalive not supported", e);
        }
    }

    private static String version(Connect c) {
        try {
            long v = c.getLibVersion();
            return v / 1_000_000 + "." + v / 1000 % 1000 + "." + v % 1000;
        } catch (LibvirtException e) {
            return "unknown version";
        }
    }

    /** Called from the event loop or a failed call (and by tests): must not block. */
    void lost(String why) {
        Connect old;
        synchronized (this) {
            old = connect;
            if (old == null || closed) return;
            connect = null;
            health = BackendHealth.unavailable(why + "; reconnecting");
        }
        LOG.warning("backend " + backend + ": lost libvirt connection to " + uri + ": " + why);
        events.publish(new VmEvent(VmEvent.Type.BACKEND_DOWN, null, null, backend, why, null));
        try {
            connector.execute(() -> {
                dispose(old);
                attempt();
            });
        } catch (RejectedExecutionException e) {
            // closing
        }
    }

    private void onClose(Connect c, ConnectionCloseReason reason) {
        if (reason != ConnectionCloseReason.CLIENT) lost("libvirt closed the connection (" + reason + ")");
    }

    private int onLifecycle(Domain d, DomainEvent e) {
        try {
            VmEvent.Type type = EventHub.typeOf(e.getType());
            if (type != null) events.publish(new VmEvent(type, d.getUUIDString(), d.getName(), backend, EventHub.detailOf(e), null));
        } catch (LibvirtException | RuntimeException ex) {
            LOG.log(Level.WARNING, "backend " + backend + ": could not map lifecycle event " + e, ex);
        } finally {
            Domains.free(d); // the handle holds the connection open until freed (see Domains.free)
        }
        return 0;
    }

    private void onReboot(Domain d) {
        try {
            events.publish(new VmEvent(VmEvent.Type.REBOOTED, d.getUUIDString(), d.getName(), backend, "", null));
        } catch (LibvirtException | RuntimeException ex) {
            LOG.log(Level.WARNING, "backend " + backend + ": could not map reboot event", ex);
        } finally {
            Domains.free(d);
        }
    }

    /**
     * Deregisters every callback, then closes. libvirt keeps a connection open while callbacks hold it,
     * and libvirt-java 0.5.4 has no public removeRebootListener: its private deregistration is called
     * reflectively (the library is embedded, so its version is fixed). Failure only leaks one socket.
     */
    private void dispose(Connect c) {
        try {
            c.removeLifecycleListener(lifecycle);
        } catch (LibvirtException | RuntimeException e) {
            LOG.log(Level.FINE, "removeLifecycleListener", e);
        }
        try {
            Method m = Connect.class.getDeclaredMethod("domainEventDeregister", int.class, org.libvirt.event.EventListener.class);
            m.setAccessible(true);
            m.invoke(c, EVENT_ID_REBOOT, reboot);
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.log(Level.FINE, "reboot listener deregistration", e);
        }
        try {
            c.unregisterCloseListener();
        } catch (LibvirtException | RuntimeException e) {
            LOG.log(Level.FINE, "unregisterCloseListener", e);
        }
        try {
            c.close();
        } catch (LibvirtException | RuntimeException e) {
            LOG.log(Level.FINE, "close", e);
        }
    }

    /** Closes the connection and stops the connector thread. Never touches a VM. */
    @Override
    public void close() {
        Connect c;
        synchronized (this) {
            closed = true;
            c = connect;
            connect = null;
            health = BackendHealth.unavailable("backend closed");
        }
        connector.shutdownNow();
        try {
            // An attempt in flight (e.g. connecting to an unresponsive host) is left to finish on its own:
            // it sees 'closed' and disposes its connection.
            connector.awaitTermination(2, TimeUnit.SECONDS);
            // Calls already running finish on the connection they started on; new ones fail at once
            // ("backend closed"), which the runtime treats as the backend being away and retries elsewhere.
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DRAIN_MILLIS);
            synchronized (inflight) {
                while (inflight.get() > 0) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        LOG.warning("backend " + backend + ": closing with " + inflight.get() + " libvirt calls still running");
                        break;
                    }
                    inflight.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (c != null) dispose(c);
    }
}
