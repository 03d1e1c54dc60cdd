package io.limiquantix.node.gpu.internal;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Moves PCI functions to vfio-pci and back through {@code driver_override}
 * (Documentation/ABI/testing/sysfs-bus-pci): write {@code vfio-pci} to the function's
 * {@code driver_override}, unbind it from its driver through {@code driver/unbind}, and ask the bus to probe
 * it again through {@code drivers_probe}, where only vfio-pci may now take it. Release undoes it: the
 * override is put back as it was, the function leaves vfio-pci, and a reprobe hands it to its own driver.
 *
 * <p>The override is used rather than vfio-pci's {@code new_id}, because {@code new_id} claims every
 * function with the same vendor:device id, including identical GPUs the host or other VMs use.
 */
final class VfioBinder {
    private static final System.Logger LOG = System.getLogger(VfioBinder.class.getName());
    /** Pause between checks while a driver finishes probing; drivers may probe asynchronously. */
    private static final long POLL_MILLIS = 50;

    /**
     * What a bind changed, so it can be undone exactly: the driver the function had (null: none) and the
     * override it had (null: none).
     */
    record Binding(String address, String originalDriver, String originalOverride) {
    }

    private final Sysfs sysfs;
    private final Duration probeWait;

    VfioBinder(Sysfs sysfs, Duration probeWait) {
        this.sysfs = sysfs;
        this.probeWait = probeWait;
    }

    /**
     * Binds every function to vfio-pci, in the order given, or none: when one fails, the ones already moved
     * (and the one that failed half-way) are restored in reverse order before the error is thrown. Functions
     * already on vfio-pci are left alone and are not in the result, so a release never unbinds what this
     * node did not bind.
     */
    List<Binding> bindAll(List<PciFunction> functions) throws IOException {
        List<Binding> done = new ArrayList<>();
        for (PciFunction f : functions) {
            if (f.boundTo(HostSupport.VFIO_PCI)) continue;
            Binding b = new Binding(f.address(), f.driver(), f.driverOverride());
            try {
                bind(f);
                done.add(b);
            } catch (IOException | RuntimeException e) {
                done.add(b);
                rollBack(done, e);
                throw e;
            }
        }
        return done;
    }

    private void bind(PciFunction f) throws IOException {
        Path dev = sysfs.pciDevice(f.address());
        // The override first: from then on no driver but vfio-pci can claim the function, so a host driver
        // cannot grab it back in the window between unbind and probe.
        sysfs.write(dev.resolve("driver_override"), HostSupport.VFIO_PCI);
        if (currentDriver(f.address()).isPresent()) sysfs.write(dev.resolve("driver").resolve("unbind"), f.address());
        sysfs.write(sysfs.path("bus/pci/drivers_probe"), f.address());
        Optional<String> now = awaitDriver(f.address(), HostSupport.VFIO_PCI);
        if (!now.filter(HostSupport.VFIO_PCI::equals).isPresent())
            throw new IOException(f.address() + " is " + now.map(d -> "bound to " + d).orElse("left without a driver")
                + " after drivers_probe with driver_override=vfio-pci, not bound to vfio-pci (is the vfio-pci module loaded?)");
    }

    /**
     * Gives a function back: the original override, off vfio-pci, and reprobed so its own driver takes it.
     * A function that had no driver is left without one. Throws when it ends up with another driver than
     * the one it had; it is then at least off vfio-pci.
     */
    void restore(Binding b) throws IOException {
        Path dev = sysfs.pciDevice(b.address());
        if (!sysfs.exists(dev)) {
            LOG.log(Level.WARNING, "PCI function " + b.address() + " is gone (hot-unplugged?); nothing to give back");
            return;
        }
        // Writing a lone newline clears the override: the kernel strips one trailing newline and treats the
        // empty string as "none", and an empty write(2) would never reach the kernel at all.
        sysfs.write(dev.resolve("driver_override"), b.originalOverride() == null ? "\n" : b.originalOverride());
        Optional<String> current = currentDriver(b.address());
        if (current.filter(HostSupport.VFIO_PCI::equals).isPresent())
            sysfs.write(sysfs.pciDrivers().resolve(HostSupport.VFIO_PCI).resolve("unbind"), b.address());
        else if (current.isPresent()) {
            LOG.log(Level.WARNING, b.address() + " is bound to " + current.get() + " rather than vfio-pci; someone else"
                + " moved it, so it is left there");
            return;
        }
        if (b.originalDriver() == null) return;
        IOException probeError = null;
        try {
            sysfs.write(sysfs.path("bus/pci/drivers_probe"), b.address());
        } catch (IOException e) {
            probeError = e;
        }
        Optional<String> now = awaitDriver(b.address(), b.originalDriver());
        if (now.filter(b.originalDriver()::equals).isPresent()) return;
        // The probe can fail, or pick another driver that also matches, or none (an override an
        // administrator left in place); binding explicitly to the original driver is the fallback.
        Path bind = sysfs.pciDrivers().resolve(b.originalDriver()).resolve("bind");
        if (now.isEmpty() && sysfs.exists(bind)) {
            sysfs.write(bind, b.address());
            now = awaitDriver(b.address(), b.originalDriver());
            if (now.filter(b.originalDriver()::equals).isPresent()) return;
        }
        throw new IOException(b.address() + " went back to " + now.map(d -> "driver " + d).orElse("no driver")
            + " instead of its original driver " + b.originalDriver(), probeError);
    }

    Optional<String> currentDriver(String address) {
        return sysfs.linkName(sysfs.pciDevice(address).resolve("driver"));
    }

    private void rollBack(List<Binding> done, Exception cause) {
        for (int i = done.size() - 1; i >= 0; i--) {
            try {
                restore(done.get(i));
            } catch (IOException | RuntimeException e) {
                cause.addSuppressed(e);
                LOG.log(Level.ERROR, "rolling back the vfio-pci binding of " + done.get(i).address() + " failed: " + e);
            }
        }
    }

    /** The driver once it is {@code expected}, or whatever it is when the wait runs out. */
    private Optional<String> awaitDriver(String address, String expected) {
        long deadline = System.nanoTime() + probeWait.toNanos();
        while (true) {
            Optional<String> now = currentDriver(address);
            if (now.filter(expected::equals).isPresent() || System.nanoTime() - deadline >= 0) return now;
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return now;
            }
        }
    }
}
