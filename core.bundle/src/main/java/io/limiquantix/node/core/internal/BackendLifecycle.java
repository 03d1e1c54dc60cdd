package io.limiquantix.node.core.internal;

import io.limiquantix.node.api.Subscription;
import io.limiquantix.node.api.VmEvent;
import java.lang.System.Logger.Level;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * What happens when a backend arrives or leaves: its events are subscribed to (and the subscription closed
 * when it goes), the node announces it, and an arriving backend is reconciled with the ledger. A leaving
 * backend's VMs are left alone; they show BACKEND_AWAY because their backend is not registered.
 */
final class BackendLifecycle implements BackendRegistry.Listener, AutoCloseable {
    private static final System.Logger LOG = System.getLogger(BackendLifecycle.class.getName());
    static final long RETRY_FIRST_MS = 1_000;
    static final long RETRY_MAX_MS = 30_000;

    private final VmLedger ledger;
    private final Reconciler reconciler;
    private final EventFanOut events;
    private final VmOperationLanes lanes;
    private final Map<Long, Subscription> subscriptions = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<Void>> reconciliations = new ConcurrentHashMap<>();
    /** The registration each active service id stands for; a retry for a replaced one is dropped. */
    private final Map<Long, Backend> active = new ConcurrentHashMap<>();
    private final ScheduledExecutorService retries = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = OwnThreads.daemon(r, "lq-reconcile-retry");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean closed;

    BackendLifecycle(VmLedger ledger, Reconciler reconciler, EventFanOut events, VmOperationLanes lanes) {
        this.ledger = ledger;
        this.reconciler = reconciler;
        this.events = events;
        this.lanes = lanes;
    }

    @Override
    public void backendUp(Backend b) {
        if (closed) return;
        try {
            Subscription s = b.hypervisor().subscribe(e -> reconciler.onBackendEvent(b, e));
            if (s != null) {
                subscriptions.put(b.serviceId(), s);
                if (eventsCoverStateChanges(b)) b.listing().enable();
            }
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "cannot subscribe to the events of " + b + "; VM states refresh on listing only", e);
        }
        events.publish(new VmEvent(VmEvent.Type.BACKEND_UP, null, null, b.name(), "ranking " + b.ranking(), null));
        active.put(b.serviceId(), b);
        reconcile(b, 0);
    }

    private static boolean eventsCoverStateChanges(Backend b) {
        try {
            return b.hypervisor().eventsCoverStateChanges();
        } catch (RuntimeException | LinkageError e) {
            LOG.log(Level.WARNING, "backend " + b.name() + " cannot say whether its events cover every state change; every"
                + " listing asks it", e);
            return false;
        }
    }

    /**
     * Reconciling lists every VM, which can take a while: it runs in the backend's own lane, never on the
     * thread that registered the service, and two reconciliations of one backend never overlap.
     */
    private void reconcile(Backend b, int attempt) {
        if (closed || active.get(b.serviceId()) != b) return;
        reconciliations.put(b.name(), lanes.submitBlocking("backend:" + b.name(), () -> {
            if (closed || active.get(b.serviceId()) != b) return null;
            if (!reconciler.reconcile(b)) {
                long delayMs = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS << Math.min(attempt, 10));
                try {
                    retries.schedule(() -> reconcile(b, attempt + 1), delayMs, TimeUnit.MILLISECONDS);
                } catch (RejectedExecutionException closing) {
                    // Shutting down: nothing left to reconcile for.
                }
            }
            return null;
        }));
    }

    @Override
    public void backendDown(Backend b) {
        active.remove(b.serviceId(), b);
        close(subscriptions.remove(b.serviceId()), b);
        if (closed) return;
        int vms = ledger.ofBackend(b.name()).size();
        events.publish(new VmEvent(VmEvent.Type.BACKEND_DOWN, null, null, b.name(),
            vms + " VMs show BACKEND_AWAY until it returns; they keep running", null));
    }

    /** The latest reconciliation of a backend, for tests and the console to wait on. */
    CompletableFuture<Void> reconciliation(String backend) {
        return reconciliations.getOrDefault(backend, CompletableFuture.completedFuture(null));
    }

    private static void close(Subscription s, Object owner) {
        if (s == null) return;
        try {
            s.close();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "closing the event subscription of " + owner + " failed", e);
        }
    }

    @Override
    public void close() {
        closed = true;
        retries.shutdownNow();
        active.clear();
        subscriptions.forEach((id, s) -> close(s, "service " + id));
        subscriptions.clear();
    }
}
