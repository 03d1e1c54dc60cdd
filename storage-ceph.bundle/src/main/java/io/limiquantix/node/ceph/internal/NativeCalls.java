package io.limiquantix.node.ceph.internal;

import io.limiquantix.node.api.BackendFailureException;
import io.limiquantix.node.api.BackendUnavailableException;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs blocking librados/librbd calls on worker threads so that a caller waits at most a deadline. The
 * rados timeouts should end every call first; this is the backstop for the cases they miss (a monitor that
 * accepts the connection and then says nothing, a bug). A native call cannot be interrupted: when the
 * deadline passes, the caller gets a BackendUnavailableException and the worker is left to finish on its
 * own. The pool is bounded, so a cluster that hangs every call cannot make the node spawn threads forever.
 */
final class NativeCalls implements AutoCloseable {
    static final int MAX_THREADS = 16;
    private final String cluster;
    private final ThreadPoolExecutor pool;

    NativeCalls(String cluster) {
        this.cluster = cluster;
        AtomicInteger n = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(0, MAX_THREADS, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
            Thread t = new Thread(r, "ceph-" + cluster + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    <T> T run(String what, Duration deadline, Callable<T> call) {
        Future<T> future;
        try {
            future = pool.submit(call);
        } catch (RejectedExecutionException e) {
            throw busy(what);
        }
        try {
            return await(what, deadline, future);
        } catch (BackendUnavailableException e) {
            // only our own future: a shared one (see start) must stay intact for its other waiters
            future.cancel(true);
            throw e;
        }
    }

    /** Starts a call whose result several callers may wait for (see {@link #await}). */
    void start(String what, Runnable call) {
        try {
            pool.execute(call);
        } catch (RejectedExecutionException e) {
            throw busy(what);
        }
    }

    /** Waits for {@code future} at most {@code deadline}; never cancels it, since others may be waiting too. */
    <T> T await(String what, Duration deadline, Future<T> future) {
        try {
            return future.get(deadline.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new BackendUnavailableException("ceph cluster '" + cluster + "': " + what + " did not finish within "
                + deadline.toSeconds() + " s; abandoned");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackendUnavailableException("ceph cluster '" + cluster + "': interrupted while waiting for " + what, e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) throw r;
            if (cause instanceof Error err) throw err;
            throw new BackendFailureException("ceph cluster '" + cluster + "': " + what + " failed: " + cause, cause);
        }
    }

    private BackendUnavailableException busy(String what) {
        return new BackendUnavailableException("ceph cluster '" + cluster + "': " + MAX_THREADS
            + " calls are still waiting for the cluster; refusing " + what);
    }

    @Override
    public void close() {
        pool.shutdown();
    }
}
