package io.limiquantix.node.cloudhv.internal.vmm;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A running VMM, started by this backend ({@link Process}, exit status known) or adopted after a restart
 * (only a {@link ProcessHandle}: the exit status of a process that is not our child cannot be read).
 * {@link #exited()} completes when it ends, with whether the backend had asked it to end; that flag is how
 * the supervisor tells a requested stop from a crash.
 */
public final class VmmProcess {
    /** How the VMM ended. {@code exitCode} is null when unknown (adopted process). */
    public record Exit(long pid, Integer exitCode, boolean requested) {
        /** CH exits 0 when its guest powers off; anything else, or a signal, is a crash. */
        public boolean clean() {
            return requested || (exitCode != null && exitCode == 0);
        }

        public String describe() {
            if (requested) return "the VMM was stopped on request";
            if (exitCode == null) return "the VMM process " + pid + " ended unexpectedly (adopted process: exit status unknown)";
            if (exitCode == 0) return "the guest powered off and the VMM exited";
            if (exitCode > 128) return "the VMM process " + pid + " was killed by signal " + (exitCode - 128);
            return "the VMM process " + pid + " exited with status " + exitCode;
        }
    }

    private final ProcessHandle handle;
    private final Process child;
    private volatile boolean stopRequested;
    private final CompletableFuture<Exit> exited;

    private VmmProcess(ProcessHandle handle, Process child) {
        this.handle = handle;
        this.child = child;
        this.exited = child != null
            ? child.onExit().thenApply(p -> new Exit(handle.pid(), p.exitValue(), stopRequested))
            : handle.onExit().thenApply(h -> new Exit(handle.pid(), null, stopRequested));
    }

    public static VmmProcess started(Process child) {
        return new VmmProcess(child.toHandle(), child);
    }

    public static VmmProcess adopted(ProcessHandle handle) {
        return new VmmProcess(handle, null);
    }

    public long pid() {
        return handle.pid();
    }

    public boolean alive() {
        return handle.isAlive();
    }

    public boolean adopted() {
        return child == null;
    }

    /** Marks the coming exit as asked for; call before anything that makes the VMM exit. */
    public void expectExit() {
        stopRequested = true;
    }

    /** Withdraws {@link #expectExit()} when the stop it announced did not happen (the guest ignored the button). */
    public void expectExit(boolean expected) {
        stopRequested = expected;
    }

    public CompletableFuture<Exit> exited() {
        return exited;
    }

    /** CPU time the VMM process has used (its vCPU threads included), 0 when the OS does not say. */
    public long cpuTimeNanos() {
        return handle.info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
    }

    /** Ends the process: SIGTERM, then SIGKILL after {@code grace}. Waits up to {@code grace} more for it to go. */
    public void kill(Duration grace) {
        expectExit();
        if (!handle.isAlive()) return;
        handle.destroy();
        try {
            exited.get(grace.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            handle.destroyForcibly();
            try {
                exited.get(grace.toMillis(), TimeUnit.MILLISECONDS);
            } catch (Exception ignored) {
                // the caller checks alive() when it matters
            }
        }
    }
}
