package io.limiquantix.node.core.internal;

import io.limiquantix.node.api.BackendFailureException;
import io.limiquantix.node.api.BackendUnavailableException;
import io.limiquantix.node.api.HypervisorException;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs quick backend queries (capabilities, health, listings) on helper threads and stops waiting after a
 * bound. A backend that hangs (a wedged libvirtd, a VMM socket nobody answers) then costs one helper
 * thread, not the caller: placement and listings keep answering.
 */
final class BoundedCalls implements AutoCloseable {
    /** Helper threads: enough for several hung backends at once, small enough to notice a leak. */
    private static final int MAX_THREADS = 64;

    private final Duration bound;
    private final ThreadPoolExecutor pool;

    BoundedCalls(Duration bound) {
        this.bound = bound;
        AtomicInteger n = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(0, MAX_THREADS, 60, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
            Thread t = OwnThreads.daemon(r, "lq-backend-query-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    Duration bound() {
        return bound;
    }

    /** Starts the call; the future fails rather than the caller blocking if no helper thread is free. */
    <T> CompletableFuture<T> start(Callable<T> call) {
        CompletableFuture<T> f = new CompletableFuture<>();
        try {
            pool.execute(() -> {
                try {
                    f.complete(call.call());
                } catch (Throwable t) {
                    f.completeExceptionally(t);
                }
            });
        } catch (RejectedExecutionException e) {
            f.completeExceptionally(new BackendUnavailableException(
                "too many backend queries are still waiting for an answer (" + MAX_THREADS + ")"));
        }
        return f;
    }

    /** Waits at most the bound for {@code future}; failures come back as typed HypervisorExceptions. */
    <T> T await(String what, CompletableFuture<T> future) {
        try {
            return future.get(bound.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new BackendUnavailableException(what + " did not answer within " + bound.toSeconds() + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackendUnavailableException("interrupted while waiting for " + what);
        } catch (ExecutionException e) {
            throw asHypervisorException(what, e.getCause());
        }
    }

    <T> T call(String what, Callable<T> call) {
        return await(what, start(call));
    }

    /** A backend that breaks the contract by throwing something untyped still surfaces as a typed error. */
    static HypervisorException asHypervisorException(String what, Throwable t) {
        if (t instanceof HypervisorException he) return he;
        return new BackendFailureException(what + " failed: " + t, t);
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
