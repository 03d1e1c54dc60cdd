package io.limiquantix.node.libvirt.internal.backend;

import io.limiquantix.node.api.Accelerator;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One backend's view of {@link HyperVProbe}, arranged so that the probe never holds up the connection: when
 * the answer is remembered or stored ({@link HyperVVerdictStore}) it is taken at once on the connector
 * thread; otherwise QEMU is asked on a thread of its own ({@code lq-libvirt-<backend>-hyperv-probe}) while
 * the backend already reports healthy, and the first domain definition that needs the answer waits for it
 * (at most {@link #WAIT_SECONDS} s, then the profile's assumption applies). Closing interrupts a probe in
 * progress (its QEMU is killed) and waits briefly for its thread.
 */
final class HyperVLookup implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(HyperVLookup.class.getName());
    static final long WAIT_SECONDS = 60;

    private final String backend;
    private volatile boolean done;
    /** Null: nothing known, the profile's assumption applies. */
    private volatile Set<String> accepted;
    private FutureTask<Set<String>> pending;
    private Thread thread;
    private boolean closed;

    HyperVLookup(String backend) {
        this.backend = backend;
    }

    /** Called on each connect; starts at most one background probe for the life of the backend. */
    void start(Accelerator accelerator) {
        if (done) return;
        if (HyperVProbe.known(accelerator)) {
            accepted = HyperVProbe.accepted(accelerator);
            done = true;
            return;
        }
        synchronized (this) {
            if (closed || pending != null) return;
            pending = new FutureTask<>(() -> {
                Set<String> found = HyperVProbe.accepted(accelerator);
                if (!Thread.currentThread().isInterrupted()) {
                    accepted = found;
                    done = true;
                }
                return found;
            });
            thread = new Thread(pending, "lq-libvirt-" + backend + "-hyperv-probe");
            thread.setDaemon(true);
            thread.start();
        }
    }

    /** True when the answer is there (possibly "nothing known") without waiting. */
    boolean done() {
        return done;
    }

    /** The accepted set; waits for a probe in progress. Null: not probed, the profile's assumption applies. */
    Set<String> get() {
        if (done) return accepted;
        FutureTask<Set<String>> f;
        synchronized (this) {
            f = pending;
        }
        if (f == null) return null;
        try {
            return f.get(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            LOG.warning("backend " + backend + ": the Hyper-V probe has not answered within " + WAIT_SECONDS
                + " s; this domain gets the assumed enlightenments");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | CancellationException e) {
            LOG.log(Level.WARNING, "backend " + backend + ": the Hyper-V probe failed; the assumed enlightenments apply", e);
        }
        return null;
    }

    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            closed = true;
            t = thread;
            if (pending != null) pending.cancel(true);
        }
        if (t != null) try {
            t.join(TimeUnit.SECONDS.toMillis(3));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
