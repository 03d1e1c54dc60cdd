package io.limiquantix.node.core.internal;

import io.limiquantix.node.api.BackendUnavailableException;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Runs operations one at a time per VM, in submission order, and operations on different VMs in parallel on
 * a bounded pool.
 *
 * <p>A lane is just a queue; it exists only while it has work and is removed the moment it runs dry, so a
 * node that sees millions of VMs over its life keeps only the busy ones. No thread belongs to a lane.
 *
 * <p>An operation is a step that returns a future; the lane moves on when that future completes. A step that
 * waits for something (a backend to return) therefore keeps its VM's later operations queued behind it
 * without holding a pool thread while it waits.
 */
final class VmOperationLanes implements AutoCloseable {
    private final ExecutorService pool;
    private final Map<String, Lane> lanes = new HashMap<>();

    private static final class Lane {
        final ArrayDeque<Runnable> queue = new ArrayDeque<>();
    }

    VmOperationLanes(int threads) {
        AtomicInteger n = new AtomicInteger();
        ThreadPoolExecutor p = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = OwnThreads.daemon(r, "lq-vm-operation-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        p.allowCoreThreadTimeOut(true);
        this.pool = p;
    }

    /** The pool operations run on, for steps that continue asynchronously. */
    Executor executor() {
        return pool;
    }

    /** Queues {@code step} on {@code key}'s lane. The step is invoked on a pool thread when its turn comes. */
    <T> CompletableFuture<T> submit(String key, Supplier<? extends CompletableFuture<T>> step) {
        CompletableFuture<T> result = new CompletableFuture<>();
        Runnable task = () -> {
            CompletableFuture<T> running;
            try {
                running = step.get();
            } catch (Throwable t) {
                running = CompletableFuture.failedFuture(t);
            }
            running.whenComplete((v, t) -> {
                // The lane moves on before the caller hears back, so a caller that saw its result never
                // sees its own lane still busy.
                next(key);
                if (t != null) result.completeExceptionally(unwrap(t));
                else result.complete(v);
            });
        };
        boolean first = false;
        synchronized (lanes) {
            Lane lane = lanes.get(key);
            if (lane == null) {
                lanes.put(key, new Lane());
                first = true;
            } else {
                lane.queue.add(task);
            }
        }
        if (first) dispatch(key, task);
        return result;
    }

    /** Runs a blocking {@code call} in {@code key}'s lane. */
    <T> CompletableFuture<T> submitBlocking(String key, java.util.concurrent.Callable<T> call) {
        return submit(key, () -> CompletableFuture.supplyAsync(() -> {
            try {
                return call.call();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new CompletionException(e);
            }
        }, pool));
    }

    /** Waits for an operation's result, rethrowing its typed exception as thrown. */
    static <T> T await(CompletableFuture<T> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackendUnavailableException("interrupted while waiting for the operation to finish "
                + "(it continues in the background)");
        } catch (ExecutionException e) {
            Throwable c = unwrap(e.getCause());
            if (c instanceof RuntimeException re) throw re;
            if (c instanceof Error err) throw err;
            throw BoundedCalls.asHypervisorException("operation", c);
        }
    }

    static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) t = t.getCause();
        return t;
    }

    private void next(String key) {
        Runnable following;
        synchronized (lanes) {
            Lane lane = lanes.get(key);
            following = lane == null ? null : lane.queue.poll();
            if (following == null) lanes.remove(key);
        }
        // Re-dispatching instead of looping gives other VMs' lanes their turn on a busy pool.
        if (following != null) dispatch(key, following);
    }

    private void dispatch(String key, Runnable task) {
        try {
            pool.execute(task);
        } catch (RejectedExecutionException e) {
            // Shut down: run inline so every queued caller gets an answer (its step fails fast) instead of hanging.
            task.run();
        }
    }

    /** Lanes with queued or running work. */
    int activeLanes() {
        synchronized (lanes) {
            return lanes.size();
        }
    }

    @Override
    public void close() {
        pool.shutdown();
        try {
            if (!pool.awaitTermination(5, TimeUnit.SECONDS)) pool.shutdownNow();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            pool.shutdownNow();
        }
    }
}
