package io.limiquantix.node.ceph.internal;

import io.limiquantix.node.api.BackendFailureException;
import io.limiquantix.node.api.BackendUnavailableException;
import io.limiquantix.node.api.ConflictException;
import io.limiquantix.node.api.HypervisorException;
import io.limiquantix.node.api.InvalidArgumentException;
import io.limiquantix.node.api.NotFoundException;

/**
 * Turns librados/librbd's negative errno results into the node's typed errors. Messages name the cluster
 * and the object, never a key: librados never echoes the key, and neither do we.
 */
final class CephErrors {
    static final int EPERM = 1, ENOENT = 2, EIO = 5, EACCES = 13, EBUSY = 16, EEXIST = 17, EINVAL = 22,
        ENOSPC = 28, EROFS = 30, ERANGE = 34, ENOTEMPTY = 39, ENOTCONN = 107, ESHUTDOWN = 108, ETIMEDOUT = 110,
        ECONNREFUSED = 111;

    private CephErrors() {}

    /** Errors after which the cluster handle is not worth keeping: the next call reconnects. */
    static boolean lostConnection(int rc) {
        return rc == -ETIMEDOUT || rc == -ENOTCONN || rc == -ESHUTDOWN || rc == -ECONNREFUSED;
    }

    static String describe(int rc) {
        return switch (-rc) {
            case EPERM -> "operation not permitted (EPERM)";
            case ENOENT -> "does not exist (ENOENT)";
            case EIO -> "I/O error (EIO)";
            case EACCES -> "permission denied (EACCES)";
            case EBUSY -> "busy (EBUSY)";
            case EEXIST -> "already exists (EEXIST)";
            case EINVAL -> "invalid argument (EINVAL)";
            case ENOSPC -> "no space left (ENOSPC)";
            case EROFS -> "read-only (EROFS)";
            case ENOTEMPTY -> "not empty (ENOTEMPTY)";
            case ETIMEDOUT -> "timed out (ETIMEDOUT)";
            default -> "error " + (-rc);
        };
    }

    /** Maps the result of an operation on {@code what} (e.g. "image rbd/vm1"); returns rc when it is not an error. */
    static int check(int rc, String cluster, String action, String what) {
        if (rc >= 0) return rc;
        throw map(rc, cluster, action, what);
    }

    static HypervisorException map(int rc, String cluster, String action, String what) {
        String msg = "ceph cluster '" + cluster + "': " + action + " " + what + " failed: " + describe(rc);
        return switch (-rc) {
            case ENOENT -> new NotFoundException(msg);
            case EEXIST, EBUSY, ENOTEMPTY -> new ConflictException(msg);
            case EINVAL, ERANGE -> new InvalidArgumentException("volume", msg);
            case ETIMEDOUT, ENOTCONN, ESHUTDOWN, ECONNREFUSED -> new BackendUnavailableException(msg);
            default -> new BackendFailureException(msg, null);
        };
    }
}
