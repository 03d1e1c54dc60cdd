package io.limiquantix.node.ceph.internal;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;
import io.limiquantix.node.api.BackendUnavailableException;
import io.limiquantix.node.api.InvalidArgumentException;
import java.nio.charset.StandardCharsets;

/**
 * One connected librados cluster handle and an I/O context on the configured pool. Calls borrow it
 * ({@link #acquire()}/{@link #release()}); once retired (after a lost connection or an abandoned call), it
 * is shut down when the last borrower returns it, never under a call still running in librados.
 */
final class CephSession {
    /** Stays within NativeCalls' slack over client_mount_timeout. */
    private static final java.time.Duration PROBE_BUDGET = java.time.Duration.ofSeconds(3);
    private final Rados rados;
    final Pointer cluster;
    final Pointer ioctx;
    final String fsid;
    private int borrowers;
    private boolean retired;
    private boolean closed;

    private CephSession(Rados rados, Pointer cluster, Pointer ioctx, String fsid) {
        this.rados = rados;
        this.cluster = cluster;
        this.ioctx = ioctx;
        this.fsid = fsid;
    }

    /** Connects; blocking, bounded by client_mount_timeout. Any failure leaves nothing allocated. */
    static CephSession connect(Rados rados, CephConfig config, CephKey key) {
        PointerByReference ref = new PointerByReference();
        int rc = rados.rados_create2(ref, config.name(), config.entity(), 0);
        if (rc < 0) throw CephErrors.map(rc, config.name(), "creating a handle for", config.entity());
        Pointer cluster = ref.getValue();
        try {
            set(rados, cluster, config, "mon_host", String.join(",", config.monitors()));
            set(rados, cluster, config, "key", key.base64());
            String connect = Long.toString(config.connectTimeout().toSeconds());
            String op = Long.toString(config.opTimeout().toSeconds());
            set(rados, cluster, config, "client_mount_timeout", connect);
            set(rados, cluster, config, "rados_mon_op_timeout", op);
            set(rados, cluster, config, "rados_osd_op_timeout", op);
            // librados logs to stderr by default; the node's log is the place for errors, and ours carry the errno
            set(rados, cluster, config, "log_to_stderr", "false");
            set(rados, cluster, config, "err_to_stderr", "false");
            rc = rados.rados_connect(cluster);
            if (rc < 0) throw connectError(rc, config);
            byte[] buf = new byte[64];
            rc = rados.rados_cluster_fsid(cluster, buf, buf.length);
            if (rc < 0) throw CephErrors.map(rc, config.name(), "reading", "the fsid");
            String fsid = new String(buf, 0, rc, StandardCharsets.US_ASCII);
            PointerByReference io = new PointerByReference();
            rc = rados.rados_ioctx_create(cluster, config.pool(), io);
            if (rc == -CephErrors.ENOENT)
                throw new InvalidArgumentException(CephConfig.POOL, "pool '" + config.pool() + "' does not exist in ceph cluster '" + config.name() + "'");
            if (rc < 0) throw CephErrors.map(rc, config.name(), "opening", "pool " + config.pool());
            return new CephSession(rados, cluster, io.getValue(), fsid);
        } catch (RuntimeException | Error e) {
            rados.rados_shutdown(cluster);
            throw e;
        }
    }

    private static RuntimeException connectError(int rc, CephConfig config) {
        String where = "ceph cluster '" + config.name() + "' at " + String.join(",", config.monitors());
        String keyProperty = config.keyring() != null ? CephConfig.KEYRING : CephConfig.KEY_FILE;
        return switch (-rc) {
            case CephErrors.EACCES, CephErrors.EPERM -> new InvalidArgumentException(keyProperty,
                where + " refused the cephx key of " + config.entity() + " (" + CephErrors.describe(rc) + ")");
            case CephErrors.ETIMEDOUT -> {
                // both a dead monitor and a refused key end here; the banner tells them apart
                String answering = MonitorProbe.firstAnswering(config.monitors(), PROBE_BUDGET);
                if (answering != null) yield new InvalidArgumentException(keyProperty, where + ": monitor " + answering
                    + " answers but did not authenticate " + config.entity() + " within " + config.connectTimeout().toSeconds()
                    + " s: the cephx key in '" + keyProperty + "' is most likely wrong or the user unknown (or the monitors have no quorum)");
                yield new BackendUnavailableException(where + ": no monitor answered within "
                    + config.connectTimeout().toSeconds() + " s (check '" + CephConfig.MONITORS + "' and that the monitors run)");
            }
            default -> new BackendUnavailableException(where + ": connect failed: " + CephErrors.describe(rc)
                + " (check '" + CephConfig.MONITORS + "', '" + CephConfig.USER + "' and '" + keyProperty + "')");
        };
    }

    private static void set(Rados rados, Pointer cluster, CephConfig config, String option, String value) {
        int rc = rados.rados_conf_set(cluster, option, value);
        // the option name only: the value may be the key
        if (rc < 0) throw CephErrors.map(rc, config.name(), "setting", "option " + option);
    }

    synchronized boolean acquire() {
        if (retired) return false;
        borrowers++;
        return true;
    }

    synchronized void release() {
        borrowers--;
        closeIfIdle();
    }

    synchronized void retire() {
        retired = true;
        closeIfIdle();
    }

    private void closeIfIdle() {
        if (retired && borrowers == 0 && !closed) {
            closed = true;
            rados.rados_ioctx_destroy(ioctx);
            rados.rados_shutdown(cluster);
        }
    }
}
