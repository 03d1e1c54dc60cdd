package io.limiquantix.node.ceph.internal;

import com.sun.jna.Library;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;

/**
 * The few librados functions this bundle needs, mapped by hand from {@code rados/librados.h} (Ceph 16).
 * {@code rados_t} and {@code rados_ioctx_t} are opaque pointers; every {@code int} result is 0 or a
 * negative errno. {@code size_t} is mapped to {@code long} (LP64 Linux only, like the rest of the node).
 */
interface Rados extends Library {
    int rados_create2(PointerByReference cluster, String clusterName, String entityName, long flags);

    int rados_conf_set(Pointer cluster, String option, String value);

    int rados_connect(Pointer cluster);

    void rados_shutdown(Pointer cluster);

    int rados_cluster_fsid(Pointer cluster, byte[] buf, long len);

    int rados_ioctx_create(Pointer cluster, String poolName, PointerByReference ioctx);

    void rados_ioctx_destroy(Pointer ioctx);
}
