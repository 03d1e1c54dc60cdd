package io.limiquantix.node.core.internal;

import io.limiquantix.node.api.Subscription;
import io.limiquantix.node.api.VmEvent;
import io.limiquantix.node.api.VmEventListener;
import java.lang.System.Logger.Level;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Delivers events to the node's subscribers without letting any of them hold up the others or the
 * publisher (a backend's event thread).
 *
 * <p>Each subscriber has its own bounded queue, drained in order by at most one thread at a time. When a
 * subscriber falls behind, its oldest events are dropped and counted; a subscriber that blocks outright
 * holds one delivery thread and its own queue, nobody else's.
 */
final class EventFanOut implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(EventFanOut.class.getName());
    static final int QUEUE_CAPACITY = 4096;

    private final List<Subscriber> subscribers = new CopyOnWriteArrayList<>();
    private final ExecutorService delivery;
    private final AtomicLong dropped = new AtomicLong();

    EventFanOut() {
        AtomicInteger n = new AtomicInteger();
        delivery = new ThreadPoolExecutor(0, 32, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
            Thread t = OwnThreads.daemon(r, "lq-event-delivery-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    Subscription subscribe(VmEventListener listener) {
        return subscribe(listener, List.of());
    }

    /** Subscribes, delivering {@code backlog} to this subscriber first (things it should know on arrival). */
    Subscription subscribe(VmEventListener listener, List<VmEvent> backlog) {
        Subscriber s = new Subscriber(listener);
        backlog.forEach(s::offer);
        subscribers.add(s);
        return () -> subscribers.remove(s);
    }

    /** Never blocks and never throws. */
    void publish(VmEvent event) {
        for (Subscriber s : subscribers) s.offer(event);
    }

    /** Events dropped because a subscriber fell more than {@link #QUEUE_CAPACITY} events behind. */
    long dropped() {
        return dropped.get();
    }

    private final class Subscriber {
        private final VmEventListener listener;
        private final ArrayDeque<VmEvent> queue = new ArrayDeque<>();
        private boolean draining;

        Subscriber(VmEventListener listener) {
            this.listener = listener;
        }

        void offer(VmEvent e) {
            synchronized (this) {
                if (queue.size() >= QUEUE_CAPACITY) {
                    queue.poll();
                    if (dropped.incrementAndGet() % 1000 == 1)
                        LOG.log(Level.WARNING, "an event subscriber is not keeping up; " + dropped.get() + " events dropped so far");
                }
                queue.add(e);
                if (draining) return;
                draining = true;
            }
            try {
                delivery.execute(this::drain);
            } catch (RejectedExecutionException ex) {
                // Closed, or every delivery thread is held by a blocked subscriber: the events stay queued
                // and go out with the next offer that finds a thread.
                synchronized (this) {
                    draining = false;
                }
            }
        }

        private void drain() {
            while (true) {
                VmEvent e;
                synchronized (this) {
                    e = queue.poll();
                    if (e == null) {
                        draining = false;
                        return;
                    }
                }
                try {
                    listener.onEvent(e);
                } catch (RuntimeException ex) {
                    LOG.log(Level.WARNING, "an event subscriber threw on " + e.type() + "; it stays subscribed", ex);
                }
            }
        }
    }

    @Override
    public void close() {
        subscribers.clear();
        delivery.shutdownNow();
    }
}
