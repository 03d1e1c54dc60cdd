package io.limiquantix.node.libvirt.internal.backend;

import static org.junit.jupiter.api.Assertions.fail;

import io.limiquantix.node.api.BackendHealth;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Assumptions;
import org.libvirt.LibvirtException;

/** The one event loop the tests share (libvirt-java's loop state is global), and bounded waiting. */
final class LibvirtTestSupport {
    static final EventLoop LOOP = new EventLoop();

    private LibvirtTestSupport() {}

    static synchronized void startLoop() {
        try {
            LOOP.start();
        } catch (LibvirtException e) {
            throw new IllegalStateException("libvirt event loop", e);
        }
    }

    static LibvirtHypervisor connected(String name, String uri, AccelDecision.Requested accel) {
        startLoop();
        LibvirtHypervisor hv = new LibvirtHypervisor(name, uri, accel);
        hv.open();
        // Generous: a busy libvirtd re-probing QEMU answers its first calls slowly (not a performance check).
        waitFor(Duration.ofSeconds(150), () -> hv.health().isHealthy() && hv.probed(), () -> "backend " + name + " did not connect: " + hv.health());
        return hv;
    }

    static void waitFor(Duration limit, BooleanSupplier condition, java.util.function.Supplier<String> failure) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) fail(failure.get());
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted");
            }
        }
    }

    /** Clean-up after a test: powers the VM off if it runs and removes its definition, ignoring "not running" and "gone". */
    static void removeQuietly(io.limiquantix.node.api.Hypervisor hv, String vmId) {
        try {
            hv.forceStopVm(vmId);
        } catch (RuntimeException notRunning) {
            // not running
        }
        try {
            hv.deleteVm(vmId);
        } catch (RuntimeException gone) {
            // already gone
        }
    }

    static boolean requireReal() {
        return "1".equals(System.getenv("LQ_REQUIRE_REAL"));
    }

    /**
     * Skips loudly when something real is missing, or fails when LQ_REQUIRE_REAL=1 says it must be there.
     */
    static void requireOrSkip(boolean present, String what) {
        if (present) return;
        String message = "REAL-ENVIRONMENT TEST NOT RUN: " + what;
        if (requireReal()) fail(message + " (LQ_REQUIRE_REAL=1, so this is a failure)");
        System.err.println("\n*** " + message + " — set up libvirtd and the guest payload, or run ./run/test ***\n");
        Assumptions.abort(message);
    }

    static String describe(BackendHealth h) {
        return h.status() + ": " + h.detail();
    }
}
