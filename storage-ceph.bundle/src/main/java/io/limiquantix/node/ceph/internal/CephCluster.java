package io.limiquantix.node.ceph.internal;

import io.limiquantix.node.api.BackendUnavailableException;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The connection to one configured cluster: connects on first use (so a cluster that is down when the
 * configuration arrives does not block ConfigAdmin), reconnects after a lost connection, and runs every
 * call under a deadline. Work is expressed as {@link SessionCall}s that get a borrowed, connected session.
 */
final class CephCluster implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(CephCluster.class.getName());
    /** Slack over the rados timeouts before the Java-side deadline gives up on a native call. */
    private static final Duration SLACK = Duration.ofSeconds(5);

    @FunctionalInterface
    interface SessionCall<T> {
        T call(CephSession session);
    }

    private final CephConfig config;
    private final CephLibraries libs;
    private final NativeCalls calls;
    private CephSession session;
    private CompletableFuture<CephSession> connecting;
    private boolean closed;

    CephCluster(CephConfig config, CephLibraries libs) {
        this.config = config;
        this.libs = libs;
        this.calls = new NativeCalls(config.name());
    }

    CephConfig config() {
        return config;
    }

    CephLibraries libs() {
        return libs;
    }

    /** Runs a short operation (stat, snapshot create, open, ...), bounded by the op timeout. */
    <T> T call(String what, SessionCall<T> work) {
        return run(what, config.opTimeout().plus(SLACK), work);
    }

    /** Runs an operation that moves data (flatten, delete, shrink), bounded by the long-op timeout. */
    <T> T longCall(String what, SessionCall<T> work) {
        return run(what, config.longOpTimeout(), work);
    }

    private <T> T run(String what, Duration deadline, SessionCall<T> work) {
        CephSession s = session();
        // whoever claims first owns the release: the work when it starts, or the caller when it never did
        AtomicBoolean claimed = new AtomicBoolean();
        try {
            return calls.run(what, deadline, () -> {
                if (!claimed.compareAndSet(false, true)) return null;
                try {
                    return work.call(s);
                } catch (BackendUnavailableException e) {
                    retire(s);
                    throw e;
                } finally {
                    s.release();
                }
            });
        } catch (BackendUnavailableException e) {
            if (claimed.compareAndSet(false, true)) s.release();
            retire(s);
            throw e;
        }
    }

    /**
     * A connected session, borrowed; the caller's work must release it. Concurrent callers share one
     * connection attempt instead of queueing one each behind a lock, so each waits at most its deadline.
     */
    private CephSession session() {
        CompletableFuture<CephSession> pending;
        synchronized (this) {
            if (closed) throw new BackendUnavailableException("ceph cluster '" + config.name() + "' is no longer configured");
            if (session != null && session.acquire()) return session;
            session = null;
            // a finished attempt is stale: its success was installed as the session, its failure is for its own waiters
            if (connecting == null || connecting.isDone()) connecting = startConnect();
            pending = connecting;
        }
        CephSession s = calls.await("connecting to " + String.join(",", config.monitors()), config.connectTimeout().plus(SLACK), pending);
        if (s.acquire()) return s;
        throw new BackendUnavailableException("ceph cluster '" + config.name() + "': the new connection was closed at once");
    }

    private CompletableFuture<CephSession> startConnect() {
        CephKey key = CephKey.read(config);
        CompletableFuture<CephSession> result = new CompletableFuture<>();
        calls.start("connecting", () -> {
            try {
                CephSession s = CephSession.connect(libs.rados, config, key);
                synchronized (this) {
                    // closed while librados was connecting: nobody will use this one
                    if (closed) s.retire();
                    else session = s;
                }
                LOG.log(Level.INFO, "connected to ceph cluster ''{0}'' (fsid {1}) as {2}, pool {3}",
                    config.name(), s.fsid, config.entity(), config.pool());
                result.complete(s);
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        return result;
    }

    private synchronized void retire(CephSession s) {
        s.retire();
        if (session == s) session = null;
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (session != null) session.retire();
        session = null;
        calls.close();
    }
}
