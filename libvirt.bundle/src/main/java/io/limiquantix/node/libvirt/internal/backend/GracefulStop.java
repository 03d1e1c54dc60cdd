package io.limiquantix.node.libvirt.internal.backend;

import io.limiquantix.node.api.BackendFailureException;
import io.limiquantix.node.api.ConflictException;
import io.limiquantix.node.api.NotFoundException;
import io.limiquantix.node.api.OperationProgress;
import io.limiquantix.node.api.ProgressListener;
import java.time.Duration;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.libvirt.Domain;

/**
 * A graceful stop: press the ACPI power button, then wait for the guest to power off, reporting progress
 * and pressing again now and then (a guest that was still booting ignores the first press). When the
 * time is up the VM is left running and the caller gets a {@link ConflictException}: pulling the plug is
 * a separate, explicit decision (forceStop).
 */
final class GracefulStop {
    private static final Logger LOG = Logger.getLogger(GracefulStop.class.getName());
    private static final long POLL_MILLIS = 250;

    private final LibvirtConnection conn;
    private final String vmId;
    private final Duration timeout;
    private final Duration repeat;
    private final ProgressListener progress;

    GracefulStop(LibvirtConnection conn, String vmId, Duration timeout, Duration repeat, ProgressListener progress) {
        this.conn = conn;
        this.vmId = Domains.checkId(vmId);
        this.timeout = timeout;
        this.repeat = repeat;
        this.progress = progress == null ? ProgressListener.NONE : progress;
    }

    void run() {
        conn.call("stop VM " + vmId, c -> {
            Domain d = Domains.lookup(c, vmId);
            if (d.isActive() != 1) throw new ConflictException("VM " + vmId + " is not running");
            d.shutdown();
            return null;
        });
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        long nextPress = start + repeat.toNanos();
        long nextReport = start;
        while (true) {
            if (!active()) {
                report("stopped", 1, "the guest powered off");
                return;
            }
            long now = System.nanoTime();
            if (now - deadline >= 0) break;
            if (now - nextReport >= 0) {
                double fraction = timeout.isZero() ? 1 : Math.min(1.0, (double) (now - start) / timeout.toNanos());
                report("waiting", fraction, "waiting for the guest to power off (" + Duration.ofNanos(now - start).toSeconds()
                    + " of " + timeout.toSeconds() + " s)");
                nextReport = now + 1_000_000_000L;
            }
            if (now - nextPress >= 0) {
                pressAgain();
                nextPress = now + repeat.toNanos();
            }
            sleep();
        }
        throw new ConflictException("VM " + vmId + " did not power off within " + timeout.toSeconds()
            + " s of an ACPI shutdown request and is still running; force-stop it if it must go down now");
    }

    private boolean active() {
        try {
            return conn.call("state of VM " + vmId, c -> Domains.lookup(c, vmId).isActive() == 1);
        } catch (NotFoundException e) {
            return false; // a transient domain disappears when it stops
        }
    }

    private void pressAgain() {
        try {
            conn.call("repeat shutdown request to VM " + vmId, c -> {
                Domains.lookup(c, vmId).shutdown();
                return null;
            });
        } catch (ConflictException | NotFoundException e) {
            // it stopped in between: the next poll sees it
        } catch (RuntimeException e) {
            LOG.log(Level.FINE, "repeated shutdown request failed", e);
        }
    }

    private void report(String phase, double fraction, String detail) {
        try {
            progress.progress(OperationProgress.phase("stop", phase, fraction, detail));
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "progress listener failed", e);
        }
    }

    private void sleep() {
        try {
            Thread.sleep(POLL_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackendFailureException("interrupted while waiting for VM " + vmId + " to power off; it may still be running", e);
        }
    }
}
