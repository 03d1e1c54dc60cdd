package io.limiquantix.node.libvirt.internal.backend;

import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.libvirt.Connect;
import org.libvirt.Library;
import org.libvirt.LibvirtException;
import org.libvirt.jna.Libvirt;

/**
 * libvirt's default event loop, run on one daemon thread for the whole bundle. Every connection's
 * callbacks (lifecycle events, connection close) are dispatched on it, so it must be registered before
 * the first connection opens and nothing on it may block.
 *
 * <p>libvirt-java's {@code runEventLoop} spins until {@code stopEventLoop}, which only takes effect once
 * the loop has started; {@link #stop} therefore repeats it until the thread is gone.
 */
public final class EventLoop {
    private static final Logger LOG = Logger.getLogger(EventLoop.class.getName());

    /**
     * libvirt's default error function prints every error to stderr ("Domain not found" for each lookup
     * of a missing VM); errors reach us as exceptions anyway. Held statically so JNA's native stub stays
     * alive for as long as libvirt may call it.
     */
    private static final Libvirt.VirErrorCallback SILENT = (userData, error) -> { };

    private volatile boolean running;
    private Thread thread;

    /** Registers libvirt's event implementation and starts the loop thread. */
    public synchronized void start() throws LibvirtException {
        if (thread != null) return;
        Connect.setErrorCallback(SILENT);
        Library.initEventLoop();
        running = true;
        thread = new Thread(this::loop, "lq-libvirt-event-loop");
        thread.setDaemon(true);
        thread.start();
    }

    private void loop() {
        while (running) {
            try {
                Library.runEventLoop();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (LibvirtException | RuntimeException e) {
                // A failing iteration must not end event delivery for every backend: log and go on,
                // pausing briefly so a persistent failure cannot spin a core.
                LOG.log(Level.WARNING, "libvirt event loop iteration failed; continuing", e);
                pause();
            } catch (Error e) {
                LOG.log(Level.SEVERE, "libvirt event loop stopped by " + e, e);
                throw e;
            }
        }
    }

    private static void pause() {
        try {
            TimeUnit.MILLISECONDS.sleep(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * How long the loop keeps running after the bundle closed its connections, before it is stopped. libvirt
     * releases a closed connection's socket and keepalive timer from idle callbacks of this loop; the wake-up
     * that stops the loop outranks them, so a loop stopped at once would leave the sockets open until some
     * later loop runs.
     */
    static final long SETTLE_MILLIS = 50;

    /** Stops the loop and waits (bounded) for its thread to end. */
    public synchronized void stop() {
        Thread t = thread;
        if (t == null) return;
        try {
            Thread.sleep(SETTLE_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        running = false;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (t.isAlive() && System.nanoTime() < deadline) {
            try {
                Library.stopEventLoop();
                t.join(100);
            } catch (LibvirtException e) {
                LOG.log(Level.FINE, "stopEventLoop failed", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (t.isAlive()) {
            // Should not happen (the loop wakes on the stop timer); interrupting is the last resort.
            LOG.warning("libvirt event loop thread did not stop within 5 s; interrupting it");
            t.interrupt();
        }
        thread = null;
        if (t.isAlive()) wakeUpTimerLeft = true; // still dispatching: its timer and callbacks stay
        else removeWakeUpTimer();
        try {
            // Back to libvirt's default, so libvirt never calls into this bundle's code after it is gone.
            Connect.setErrorCallback(null);
        } catch (LibvirtException e) {
            LOG.log(Level.FINE, "resetting the libvirt error function", e);
        }
    }

    /**
     * Takes libvirt-java's wake-up timer out of libvirt's event loop. {@code initEventLoop} registers it once per
     * class (a JNA callback of this revision) and never removes it; {@code stopEventLoop} arms it to fire at once.
     * When the loop returns for another event before the timer fired, the timer stays armed and fires in the next
     * loop anyone runs — the next revision's — calling this revision's callback. Once JNA has freed that callback's
     * stub ({@code JnaCaches}), that call crashed the JVM (SIGSEGV in jnidispatch on the event-loop thread). After
     * the loop thread has ended no one dispatches the timer, so removing it here is final (libvirt frees a removed
     * timeout without calling back: libvirt-java gives it no free function). The id is reset so that a restart of
     * this same revision registers a fresh timer.
     */
    private static void removeWakeUpTimer() {
        try {
            java.lang.reflect.Field f = Library.class.getDeclaredField("timerID");
            f.setAccessible(true);
            int id = ((java.util.concurrent.atomic.AtomicInteger) f.get(null)).getAndSet(-1);
            if (id >= 0 && Libvirt.INSTANCE.virEventRemoveTimeout(id) < 0)
                LOG.warning("libvirt did not remove the event loop's wake-up timer " + id);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // libvirt-java is embedded, so its fields are known; if this ever fails the timer stays registered
            // and JnaCaches must not free its stub (it does not clear callbacks when this failed).
            LOG.log(Level.WARNING, "cannot remove libvirt-java's event-loop wake-up timer", e);
            wakeUpTimerLeft = true;
        }
    }

    /** True when a wake-up timer of this revision may still be registered in libvirt (see {@link #removeWakeUpTimer}). */
    private static volatile boolean wakeUpTimerLeft;

    public static boolean callbacksMayBeCalled() {
        return wakeUpTimerLeft;
    }

    public boolean isRunning() {
        Thread t = thread;
        return t != null && t.isAlive();
    }
}
