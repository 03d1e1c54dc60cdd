package io.limiquantix.node.libvirt.internal.backend;

import io.limiquantix.node.api.Subscription;
import io.limiquantix.node.api.VmEvent;
import io.limiquantix.node.api.VmEventListener;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.libvirt.event.DomainEvent;
import org.libvirt.event.DomainEventType;

/**
 * One backend's subscribers. Events arrive on libvirt's event-loop thread, which must never wait for a
 * subscriber, so they are handed to this hub's own delivery thread; a listener that throws is logged and
 * keeps its subscription. The queue is bounded: when subscribers fall far behind, events are dropped and
 * counted rather than growing without limit.
 */
final class EventHub implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(EventHub.class.getName());
    private static final int QUEUE_LIMIT = 10_000;

    private final String backend;
    private final List<VmEventListener> listeners = new CopyOnWriteArrayList<>();
    private final ExecutorService delivery;
    private final AtomicLong dropped = new AtomicLong();
    private final java.util.concurrent.atomic.AtomicBoolean missed = new java.util.concurrent.atomic.AtomicBoolean();

    EventHub(String backend) {
        this.backend = backend;
        ThreadPoolExecutor pool = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>(QUEUE_LIMIT), r -> {
            Thread t = new Thread(r, "lq-libvirt-" + backend + "-events");
            t.setDaemon(true);
            return t;
        });
        this.delivery = pool;
    }

    Subscription subscribe(VmEventListener listener) {
        if (listener == null) throw new io.limiquantix.node.api.InvalidArgumentException("listener", "is required");
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    void publish(VmEvent event) {
        if (listeners.isEmpty()) return;
        // Subscribers may rely on seeing every change (Hypervisor#eventsCoverStateChanges): after a drop, the
        // next event that fits is preceded by one saying that some were missed.
        if (missed.getAndSet(false) && !enqueue(new VmEvent(VmEvent.Type.BACKEND_HEALTH, null, null, backend,
            "events were dropped (" + dropped.get() + " so far): VM states must be listed again", null))) {
            missed.set(true);
        }
        if (!enqueue(event)) missed.set(true);
    }

    private boolean enqueue(VmEvent event) {
        try {
            delivery.execute(() -> deliver(event));
            return true;
        } catch (RejectedExecutionException e) {
            if (!delivery.isShutdown() && dropped.incrementAndGet() % 1000 == 1)
                LOG.warning("backend " + backend + ": event subscribers are too slow; " + dropped.get() + " events dropped so far");
            return false;
        }
    }

    private void deliver(VmEvent event) {
        for (VmEventListener l : listeners) {
            try {
                l.onEvent(event);
            } catch (RuntimeException | LinkageError e) {
                LOG.log(Level.WARNING, "backend " + backend + ": event listener " + l + " failed on " + event.type(), e);
            }
        }
    }

    /** The API's event type for a libvirt lifecycle event, or null for events the API has no name for. */
    static VmEvent.Type typeOf(DomainEventType type) {
        return switch (type) {
            case DEFINED -> VmEvent.Type.DEFINED;
            case UNDEFINED -> VmEvent.Type.UNDEFINED;
            case STARTED -> VmEvent.Type.STARTED;
            case SUSPENDED -> VmEvent.Type.PAUSED;
            case RESUMED -> VmEvent.Type.RESUMED;
            case STOPPED -> VmEvent.Type.STOPPED;
            case SHUTDOWN -> VmEvent.Type.SHUTDOWN;
            case CRASHED -> VmEvent.Type.CRASHED;
            // The API has no event for a guest that suspended itself to RAM; it does not run, so PAUSED, with
            // the detail saying which (status reports SUSPENDED). Subscribers must learn that it changed.
            case PMSUSPENDED -> VmEvent.Type.PAUSED;
            // libvirt-java's name for a type newer than itself; libvirt 9's nine types are all known to it.
            case UNKNOWN -> null;
        };
    }

    static String detailOf(DomainEvent event) {
        String prefix = event.getType() == DomainEventType.PMSUSPENDED ? "pmsuspended" : "";
        Object detail;
        try {
            detail = event.getDetail();
        } catch (RuntimeException e) {
            // libvirt-java maps detail codes newer than itself to nothing; the type alone still counts.
            return prefix;
        }
        String d = detail == null ? "" : detail.toString().toLowerCase(java.util.Locale.ROOT);
        return prefix.isEmpty() || d.isEmpty() ? prefix + d : prefix + ": " + d;
    }

    @Override
    public void close() {
        listeners.clear();
        delivery.shutdownNow();
        try {
            // A listener running now finishes its event; the thread must be gone before the bundle is.
            delivery.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
