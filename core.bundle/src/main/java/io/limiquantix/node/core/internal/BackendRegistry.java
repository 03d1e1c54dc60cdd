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
final class BackendRegistry {
    private static final System.Logger LOG = System.getLogger(BackendRegistry.class.getName());

    /** Told when a backend becomes active for its name or stops being active. Called without locks held. */
    interface Listener {
        void backendUp(Backend backend);

        void backendDown(Backend backend);
    }

    private static final Comparator<Backend> PREFERENCE =
        Comparator.comparingInt(Backend::ranking).reversed().thenComparingLong(Backend::serviceId);

    private final BoundedCalls calls;
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
