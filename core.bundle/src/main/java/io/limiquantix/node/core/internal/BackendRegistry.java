package io.limiquantix.node.core.internal;

import io.limiquantix.node.api.BackendUnavailableException;
import io.limiquantix.node.api.Hypervisor;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The Hypervisor services present now, by backend name, and the calls parked until a backend returns.
 *
 * <p>Backend names must be unique on the node because the ledger records VMs by backend name. When a second
 * service claims a name already served, it is kept aside (and logged) and takes over only when the first one
 * leaves; two services reconciling the same name would otherwise mark each other's VMs missing.
 *
 * <p>OSGi-free on purpose: {@link BackendTracker} feeds it from service events, tests feed it directly.
 */
final class BackendRegistry implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(BackendRegistry.class.getName());

    /** Told when a backend becomes active for its name or stops being active. Called without locks held. */
    interface Listener {
        void backendUp(Backend backend);

        void backendDown(Backend backend);
    }

    private static final Comparator<Backend> PREFERENCE =
        Comparator.comparingInt(Backend::ranking).reversed().thenComparingLong(Backend::serviceId);

    /** How often a parked call asks an arriving backend whether it has connected yet. */
    static final long ARRIVAL_POLL_MS = 20;

    private final BoundedCalls calls;
    /** Re-asks arriving backends' health for parked calls; its one thread exists only while it has work. */
    private final java.util.concurrent.ScheduledThreadPoolExecutor arrivals;
    private final Object lock = new Object();
    private final Map<String, Backend> active = new HashMap<>();
    private final List<Backend> standby = new ArrayList<>();
    private final Map<String, List<CompletableFuture<Backend>>> waiters = new HashMap<>();
    private volatile Listener listener = new Listener() {
        @Override
        public void backendUp(Backend backend) { }

        @Override
        public void backendDown(Backend backend) { }
    };

    BackendRegistry(BoundedCalls calls) {
        this.calls = calls;
        this.arrivals = new java.util.concurrent.ScheduledThreadPoolExecutor(1, r -> {
            Thread t = OwnThreads.daemon(r, "lq-backend-arrival");
            t.setDaemon(true);
            return t;
        });
        arrivals.setKeepAliveTime(10, TimeUnit.SECONDS);
        arrivals.allowCoreThreadTimeOut(true);
        arrivals.setRemoveOnCancelPolicy(true);
    }

    void setListener(Listener l) {
        this.listener = l;
    }

    /** A Hypervisor service appeared. {@code name} falls back to the service id when the property is absent. */
    void add(String name, String type, int ranking, long serviceId, Hypervisor hypervisor) {
        Backend b = new Backend(name == null || name.isBlank() ? Long.toString(serviceId) : name, type, ranking,
            serviceId, hypervisor, calls);
        List<CompletableFuture<Backend>> woken;
        synchronized (lock) {
            Backend current = active.get(b.name());
            if (current != null) {
                standby.add(b);
                LOG.log(Level.ERROR, "Hypervisor service " + serviceId + " claims backend name '" + b.name()
                    + "' already served by service " + current.serviceId() + "; it is kept on standby");
                return;
            }
            active.put(b.name(), b);
            woken = waiters.remove(b.name());
        }
        LOG.log(Level.INFO, "backend up: " + b);
        if (woken != null) woken.forEach(f -> f.complete(b));
        listener.backendUp(b);
    }

    /** The service's properties changed: treat it as leaving and coming back, so nothing keeps stale values. */
    void update(String name, String type, int ranking, long serviceId, Hypervisor hypervisor) {
        remove(serviceId);
        add(name, type, ranking, serviceId, hypervisor);
    }

    void remove(long serviceId) {
        Backend gone = null;
        Backend promoted = null;
        List<CompletableFuture<Backend>> woken = null;
        synchronized (lock) {
            standby.removeIf(b -> b.serviceId() == serviceId);
            for (Backend b : active.values()) {
                if (b.serviceId() == serviceId) gone = b;
            }
            if (gone == null) return;
            active.remove(gone.name());
            String name = gone.name();
            Optional<Backend> next = standby.stream().filter(b -> b.name().equals(name)).min(PREFERENCE);
            if (next.isPresent()) {
                promoted = next.get();
                standby.remove(promoted);
                active.put(name, promoted);
                woken = waiters.remove(name);
            }
        }
        LOG.log(Level.INFO, "backend down: " + gone);
        listener.backendDown(gone);
        if (promoted != null) {
            Backend p = promoted;
            if (woken != null) woken.forEach(f -> f.complete(p));
            listener.backendUp(p);
        }
    }

    Optional<Backend> find(String name) {
        synchronized (lock) {
            return Optional.ofNullable(active.get(name));
        }
    }

    /** The active backends, most preferred first (highest ranking, then lowest service id). */
    List<Backend> all() {
        synchronized (lock) {
            List<Backend> list = new ArrayList<>(active.values());
            list.sort(PREFERENCE);
            return list;
        }
    }

    /**
     * Completes with the named backend as soon as it is present, or fails with BackendUnavailableException
     * after {@code wait}. Nothing polls: arrival completes the parked futures.
     */
    CompletableFuture<Backend> whenPresent(String name, Duration wait) {
        CompletableFuture<Backend> f = new CompletableFuture<>();
        synchronized (lock) {
            Backend b = active.get(name);
            if (b != null) {
                f.complete(b);
                return f;
            }
            if (wait.isZero()) {
                f.completeExceptionally(away(name, wait));
                return f;
            }
            waiters.computeIfAbsent(name, k -> new ArrayList<>()).add(f);
        }
        f.orTimeout(wait.toMillis(), TimeUnit.MILLISECONDS);
        CompletableFuture<Backend> result = new CompletableFuture<>();
        f.whenComplete((b, t) -> {
            if (t == null) {
                result.complete(b);
                return;
            }
            synchronized (lock) {
                List<CompletableFuture<Backend>> parked = waiters.get(name);
                if (parked != null) {
                    parked.remove(f);
                    if (parked.isEmpty()) waiters.remove(name);
                }
            }
            result.completeExceptionally(t instanceof TimeoutException ? away(name, wait) : t);
        });
        return result;
    }

    /**
     * Completes with the named backend once it is present <em>and has arrived</em> (answered healthy once
     * since it registered), or after {@code wait} in total. A backend registers before it has connected
     * (libvirt connects, and decides its accelerator, in the background), so a call that meets a freshly
     * registered backend waits for it like a call for an absent one instead of failing with "not connected".
     * When the wait ends while the backend is present but has not arrived, the call goes ahead and gets the
     * backend's own answer (typically BackendUnavailableException saying why it cannot connect). A backend
     * that has arrived once is not waited for again within that registration: a later loss of its
     * connection fails calls at once, as the backend reports it.
     */
    CompletableFuture<Backend> whenReady(String name, Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        return whenPresent(name, wait).thenCompose(b -> arrival(b, name, deadline));
    }

    private CompletableFuture<Backend> arrival(Backend b, String name, long deadline) {
        if (b.arrived()) return CompletableFuture.completedFuture(b);
        CompletableFuture<Backend> f = new CompletableFuture<>();
        long left = deadline - System.nanoTime();
        // A health call that hangs must not hold the caller past its wait. The timer is cancelled as soon
        // as the call goes ahead, so nothing here keeps a departed backend (and its bundle) reachable.
        if (left > 0) {
            try {
                java.util.concurrent.ScheduledFuture<?> timer = arrivals.schedule(() -> f.complete(b), left, TimeUnit.NANOSECONDS);
                f.whenComplete((v, t) -> timer.cancel(false));
            } catch (RejectedExecutionException closed) {
                f.complete(b);
            }
        }
        pollArrival(b, name, deadline, f);
        return f;
    }

    private void pollArrival(Backend b, String name, long deadline, CompletableFuture<Backend> f) {
        if (f.isDone()) return;
        long left = deadline - System.nanoTime();
        if (!isActive(b)) {
            // It left again before arriving: wait for whatever registers under the name next.
            if (left <= 0) {
                f.completeExceptionally(away(name, Duration.ZERO));
                return;
            }
            whenPresent(name, Duration.ofNanos(left)).thenCompose(next -> arrival(next, name, deadline))
                .whenComplete((next, t) -> {
                    if (t != null) f.completeExceptionally(VmOperationLanes.unwrap(t));
                    else f.complete(next);
                });
            return;
        }
        if (left <= 0) {
            f.complete(b);
            return;
        }
        b.startHealth().whenComplete((h, t) -> {
            if (t == null && b.noteHealth(h)) f.complete(b);
            else if (!schedule(() -> pollArrival(b, name, deadline, f), ARRIVAL_POLL_MS, TimeUnit.MILLISECONDS)) f.complete(b);
        });
    }

    private boolean schedule(Runnable r, long delay, TimeUnit unit) {
        try {
            arrivals.schedule(r, delay, unit);
            return true;
        } catch (RejectedExecutionException closed) {
            return false;
        }
    }

    /** Whether {@code b} is still the registration serving its name. */
    boolean isCurrent(Backend b) {
        return isActive(b);
    }

    private boolean isActive(Backend b) {
        synchronized (lock) {
            return active.get(b.name()) == b;
        }
    }

    @Override
    public void close() {
        arrivals.shutdownNow();
    }

    /** How many calls are parked, per backend name; for the console and tests. */
    int parkedCalls(String name) {
        synchronized (lock) {
            List<CompletableFuture<Backend>> parked = waiters.get(name);
            return parked == null ? 0 : parked.size();
        }
    }

    private static BackendUnavailableException away(String name, Duration wait) {
        return new BackendUnavailableException("backend '" + name + "' is not present"
            + (wait.isZero() ? "" : " (waited " + (wait.toMillis() < 1000 ? wait.toMillis() + " ms" : wait.toSeconds() + " s")
                + " for it to return)"));
    }
}
