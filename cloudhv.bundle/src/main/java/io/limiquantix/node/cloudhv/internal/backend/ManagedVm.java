package io.limiquantix.node.cloudhv.internal.backend;

import io.limiquantix.node.api.BackendFailureException;
import io.limiquantix.node.api.ConflictException;
import io.limiquantix.node.api.OperationProgress;
import io.limiquantix.node.api.ProgressListener;
import io.limiquantix.node.api.VmEvent;
import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.api.VmState;
import io.limiquantix.node.api.VmStatus;
import io.limiquantix.node.cloudhv.internal.chapi.ChApiException;
import io.limiquantix.node.cloudhv.internal.chapi.ChRequest;
import io.limiquantix.node.cloudhv.internal.chapi.ChRequests;
import io.limiquantix.node.cloudhv.internal.chapi.ChTypes.VmInfoResponse;
import io.limiquantix.node.cloudhv.internal.vmm.VmDirectory;
import io.limiquantix.node.cloudhv.internal.vmm.VmmProcess;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * One VM of this backend and the VMM process that runs it, when one does. The VM's definition is its
 * {@link VmDirectory}; a VMM exists only while the VM runs (CH keeps no definition of a stopped VM).
 *
 * <p>Supervision: every VMM, started or adopted, is watched; when it ends the VM becomes STOPPED if the
 * backend asked for that or the guest powered off (exit status 0), else CRASHED with a CRASHED event. The
 * outcome is written to {@code runtime.json}, so a crash while the node was away is still reported after it.
 * Operations on one VM are serialised on this object.
 */
final class ManagedVm {
    private static final Logger LOG = Logger.getLogger(ManagedVm.class.getName());
    private static final Duration KILL_GRACE = Duration.ofSeconds(3);
    /** Listings ask every VMM; one that hangs must not hold a listing for the full API bound. */
    private static final Duration STATUS_WAIT = Duration.ofSeconds(2);
    private static final Duration POWER_OFF_POLL = Duration.ofMillis(500);

    private final VmContext ctx;
    private final VmDirectory dir;
    private volatile VmSpec spec;
    private volatile VmmProcess vmm;
    private volatile VmDirectory.Runtime runtime;
    /** Completes once the current VMM's exit has been recorded (state, event). */
    private volatile java.util.concurrent.CompletableFuture<Void> exitHandled = java.util.concurrent.CompletableFuture.completedFuture(null);

    ManagedVm(VmContext ctx, VmDirectory dir, VmSpec spec) {
        this.ctx = ctx;
        this.dir = dir;
        this.spec = spec;
        this.runtime = dir.readRuntime();
    }

    String id() {
        return dir.vmId();
    }

    VmSpec spec() {
        return spec;
    }

    VmDirectory dir() {
        return dir;
    }

    VmContext ctx() {
        return ctx;
    }

    /** Re-attaches to a VMM left running by an earlier backend instance; records a crash if it died meanwhile. */
    synchronized void adoptIfAlive() {
        var pid = dir.readPid();
        if (pid.isPresent()) {
            var handle = ProcessHandle.of(pid.getAsLong()).filter(ProcessHandle::isAlive);
            if (handle.isPresent() && isOurVmm(handle.get())) {
                VmmProcess adopted = VmmProcess.adopted(handle.get());
                watch(adopted);
                LOG.info("backend " + ctx.backend() + ": adopted the VMM of VM " + id() + " (pid " + adopted.pid() + ")");
                return;
            }
            clearPid();
        }
        if (runtime.wantRunning()) {
            record(new VmDirectory.Runtime(false, "the VMM ended while the backend was not running", true));
        }
    }

    /**
     * Guards against a recycled pid: the VMM answering on this VM's socket must report that pid (CH's ping
     * carries it). A VMM that does not answer is ours only if its command line names the socket.
     */
    private boolean isOurVmm(ProcessHandle h) {
        try {
            var ping = ctx.api().send(dir.socket(), new ChRequests.VmmPing(), Duration.ofSeconds(2));
            return ping == null || ping.pid() == null || ping.pid() == h.pid();
        } catch (ChApiException e) {
            boolean named = h.info().commandLine().map(c -> c.contains(dir.socket().toString())).orElse(false);
            LOG.warning("backend " + ctx.backend() + ": the VMM of VM " + id() + " (pid " + h.pid() + ") does not answer on "
                + dir.socket() + (named ? "; adopting it by its command line" : "; not adopting it: " + e.getMessage()));
            return named;
        }
    }

    synchronized VmStatus status() {
        VmmProcess p = vmm;
        VmState state;
        String reason;
        long cpu = 0;
        if (p == null) {
            state = runtime.crashed() ? VmState.CRASHED : VmState.STOPPED;
            reason = runtime.lastStopReason();
        } else {
            cpu = p.cpuTimeNanos();
            try {
                VmInfoResponse info = ctx.api().send(dir.socket(), new ChRequests.VmInfo(), STATUS_WAIT);
                state = switch (info == null ? "" : String.valueOf(info.state())) {
                    case "Running" -> VmState.RUNNING;
                    case "Paused" -> VmState.PAUSED;
                    case "Created", "Shutdown" -> VmState.STOPPED;
                    default -> VmState.UNKNOWN;
                };
                reason = state == VmState.UNKNOWN ? "the VMM reports state " + (info == null ? "nothing" : info.state()) : "";
            } catch (ChApiException e) {
                state = VmState.UNKNOWN;
                reason = "the VMM (pid " + p.pid() + ") does not answer: " + e.getMessage();
            }
        }
        return new VmStatus(id(), spec.name(), state, reason, spec.cpu().vcpus(), spec.memory().sizeMiB(), cpu);
    }

    synchronized void start() {
        if (vmm != null) {
            // A VMM whose guest has shut down but which did not exit holds the socket: it goes, the VM starts anew.
            if (status().state() != VmState.STOPPED)
                throw new ConflictException("VM " + id() + " is already running (VMM pid " + vmm.pid() + ")");
            stopQuietly();
        }
        var config = ctx.mapper().map(spec, dir.serialLog());
        ensureTaps();
        VmmProcess p;
        try {
            p = ctx.requireLauncher().launch(dir.socket(), dir.vmmLog());
        } catch (IOException e) {
            throw new BackendFailureException("cannot start a VMM for VM " + id() + ": " + e.getMessage(), e);
        }
        try {
            dir.writePid(p.pid());
            send(p, "vm.create", new ChRequests.VmCreate(config));
            send(p, "vm.boot", new ChRequests.VmBoot());
            record(new VmDirectory.Runtime(true, "", false));
        } catch (IOException | RuntimeException e) {
            p.kill(KILL_GRACE);
            clearPid();
            if (e instanceof RuntimeException r) throw r;
            throw new BackendFailureException("cannot record the VMM of VM " + id() + ": " + e.getMessage(), e);
        }
        vmm = p;
        watch(p);
        ctx.events().publish(VmEvent.Type.STARTED, id(), spec.name(), "VMM pid " + p.pid());
    }

    /** Presses the power button and waits for the VMM to exit; throws ConflictException (VM left running) on timeout. */
    void stop(Duration timeout, ProgressListener progress) {
        VmmProcess p;
        java.util.concurrent.CompletableFuture<Void> handled;
        synchronized (this) {
            p = requireRunning();
            handled = exitHandled;
            p.expectExit();
            try {
                call("vm.power-button", new ChRequests.VmPowerButton());
            } catch (RuntimeException e) {
                p.expectExit(false);
                throw e;
            }
        }
        progress.progress(OperationProgress.phase("stop", "waiting", 0, "power button pressed; waiting for the guest to power off"));
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) throw new java.util.concurrent.TimeoutException();
                try {
                    handled.get(Math.min(left, POWER_OFF_POLL.toNanos()), TimeUnit.NANOSECONDS);
                    break;
                } catch (java.util.concurrent.TimeoutException poll) {
                    shutDownIfGuestIsOff(p);
                }
            }
            progress.progress(OperationProgress.phase("stop", "stopped", 1, "the guest powered off"));
        } catch (java.util.concurrent.TimeoutException e) {
            p.expectExit(false);
            throw new ConflictException("VM " + id() + " did not power off within " + timeout.toSeconds() + " s; it is still running");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.expectExit(false);
            throw new ConflictException("interrupted while waiting for VM " + id() + " to power off; it may still be running");
        } catch (java.util.concurrent.ExecutionException e) {
            throw new BackendFailureException("watching the VMM of VM " + id() + " failed", e);
        }
    }

    /** CH exits when its guest powers off; should a VMM stay up with its VM in state Shutdown, it is told to go. */
    private void shutDownIfGuestIsOff(VmmProcess p) {
        try {
            VmInfoResponse info = ctx.api().send(dir.socket(), new ChRequests.VmInfo(), STATUS_WAIT);
            if (info != null && "Shutdown".equals(info.state())) ctx.api().send(dir.socket(), new ChRequests.VmmShutdown(), STATUS_WAIT);
        } catch (ChApiException e) {
            // exiting, or busy: the next poll or the exit itself settles it
        }
    }

    synchronized void forceStop() {
        VmmProcess p = requireRunning();
        p.expectExit();
        try {
            ctx.api().send(dir.socket(), new ChRequests.VmmShutdown(), Duration.ofSeconds(2));
        } catch (ChApiException e) {
            LOG.info("VMM of VM " + id() + " did not take vmm.shutdown (" + e.getMessage() + "); killing it");
        }
        p.kill(KILL_GRACE);
        if (p.alive()) throw new BackendFailureException("the VMM of VM " + id() + " (pid " + p.pid() + ") survived SIGKILL", null);
        awaitExitHandled(p);
    }

    synchronized void reboot() {
        requireRunning();
        call("vm.reboot", new ChRequests.VmReboot());
        ctx.events().publish(VmEvent.Type.REBOOTED, id(), spec.name(), "");
    }

    synchronized void pause() {
        requireRunning();
        call("vm.pause", new ChRequests.VmPause());
        ctx.events().publish(VmEvent.Type.PAUSED, id(), spec.name(), "");
    }

    synchronized void resume() {
        requireRunning();
        call("vm.resume", new ChRequests.VmResume());
        ctx.events().publish(VmEvent.Type.RESUMED, id(), spec.name(), "");
    }

    /** Removes the definition and the VM's taps; the VM must not run. Taps go first: a failure leaves the VM to retry with. */
    synchronized void delete() {
        if (vmm != null) throw new ConflictException("VM " + id() + " is running; stop it before deleting it");
        if (!spec.nics().isEmpty()) VmNics.remove(ctx.taps(), spec);
        try {
            dir.delete();
        } catch (IOException e) {
            throw new BackendFailureException("cannot remove the state of VM " + id() + ": " + e.getMessage(), e);
        }
        ctx.events().publish(VmEvent.Type.UNDEFINED, id(), spec.name(), "");
    }

    /** Per-device I/O counters as the VMM reports them. */
    synchronized com.fasterxml.jackson.databind.node.ObjectNode counters() {
        requireRunning();
        return call("vm.counters", new ChRequests.VmCounters());
    }

    // --- for VmSnapshots and VmMigration, which run under this object's lock ---

    VmmProcess requireRunning() {
        VmmProcess p = vmm;
        if (p == null) throw new ConflictException("VM " + id() + " is not running");
        return p;
    }

    boolean running() {
        return vmm != null;
    }

    /** Every path that starts a VMM for this VM calls this first: CH would otherwise make private taps on no bridge. */
    void ensureTaps() {
        if (!spec.nics().isEmpty()) VmNics.ensure(ctx.taps(), spec);
    }

    <R> R call(String what, ChRequest<R> action) {
        try {
            return ctx.api().send(dir.socket(), action);
        } catch (ChApiException e) {
            throw VmContext.translate(what + " of VM " + id(), e);
        }
    }

    /** Ends the running VMM as an expected exit (before a revert starts a fresh one on the same socket). */
    void stopQuietly() {
        VmmProcess old = vmm;
        if (old == null) return;
        old.expectExit();
        old.kill(KILL_GRACE);
        awaitExitHandled(old);
    }

    /** Takes over a VMM started for this VM outside {@link #start()} (revert): recorded and watched. */
    void runWith(VmmProcess fresh) {
        try {
            dir.writePid(fresh.pid());
        } catch (IOException e) {
            fresh.kill(KILL_GRACE);
            throw new BackendFailureException("cannot record the VMM of VM " + id() + ": " + e.getMessage(), e);
        }
        record(new VmDirectory.Runtime(true, "", false));
        watch(fresh);
    }

    /** Stops the VMM after it handed the VM over (migration): an expected exit. */
    void released(String why) {
        VmmProcess p = vmm;
        if (p == null) return;
        p.expectExit();
        p.kill(KILL_GRACE);
        awaitExitHandled(p);
        record(new VmDirectory.Runtime(false, why, false));
    }

    private void send(VmmProcess p, String what, ChRequest<?> action) {
        try {
            ctx.api().send(dir.socket(), action);
        } catch (ChApiException e) {
            throw new BackendFailureException(what + " of VM " + id() + " failed: " + e.getMessage() + " (VMM log: "
                + io.limiquantix.node.cloudhv.internal.vmm.VmmLauncher.tail(dir.vmmLog()) + ")", e);
        }
    }

    private void watch(VmmProcess p) {
        vmm = p;
        exitHandled = p.exited().thenAccept(exit -> exited(p, exit));
    }

    /** Runs on the JDK's process reaper thread when the VMM ends. */
    private void exited(VmmProcess p, VmmProcess.Exit exit) {
        VmEvent.Type type;
        synchronized (this) {
            if (vmm != p) return; // replaced (revert) or already handled
            vmm = null;
            clearPid();
            boolean crashed = !exit.clean();
            if (!dir.exists()) return;
            record(new VmDirectory.Runtime(false, exit.describe(), crashed));
            type = crashed ? VmEvent.Type.CRASHED : exit.requested() ? VmEvent.Type.STOPPED : VmEvent.Type.SHUTDOWN;
        }
        if (type == VmEvent.Type.CRASHED) LOG.warning("backend " + ctx.backend() + ": VM " + id() + " crashed: " + exit.describe());
        ctx.events().publish(type, id(), spec.name(), exit.describe());
    }

    /** The exit callback runs on another thread; wait for it so the caller sees the VM stopped when it returns. */
    private void awaitExitHandled(VmmProcess p) {
        try {
            p.exited().get(KILL_GRACE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            return;
        }
        // exited() completes before dependent callbacks run; the callback needs this lock, which we hold,
        // so settle the state here; the callback then finds vmm != p and does nothing.
        if (vmm == p) {
            vmm = null;
            clearPid();
            record(new VmDirectory.Runtime(false, "the VMM was stopped on request", false));
            ctx.events().publish(VmEvent.Type.STOPPED, id(), spec.name(), "the VMM was stopped on request");
        }
    }

    private void record(VmDirectory.Runtime r) {
        runtime = r;
        try {
            if (dir.exists()) dir.writeRuntime(r);
        } catch (IOException e) {
            LOG.warning("cannot record the state of VM " + id() + ": " + e.getMessage());
        }
    }

    private void clearPid() {
        try {
            dir.clearPid();
        } catch (IOException e) {
            LOG.warning("cannot remove the pid file of VM " + id() + ": " + e.getMessage());
        }
    }

    void saveSpec(VmSpec updated) {
        try {
            dir.writeSpec(updated);
        } catch (IOException e) {
            throw new BackendFailureException("cannot record the definition of VM " + id() + ": " + e.getMessage(), e);
        }
        spec = updated;
    }
}
