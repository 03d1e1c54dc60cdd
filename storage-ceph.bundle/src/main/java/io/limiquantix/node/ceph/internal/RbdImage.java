package io.limiquantix.node.ceph.internal;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;
import io.limiquantix.node.api.BackendFailureException;
import java.util.ArrayList;
import java.util.List;

/**
 * An open librbd image handle. Not thread-safe (neither is {@code rbd_image_t}): open, use and close it
 * within one call. A read-write open registers a watch on the image header, which is how librbd and this
 * provider tell that a VM has the image open; {@link RbdPool#openReadOnly} does not.
 */
final class RbdImage implements AutoCloseable {
    /** A parent snapshot of a clone: {@code pool/image@snapshot}. */
    record Parent(String pool, String image, String snapshot) {
        @Override
        public String toString() {
            return pool + "/" + image + "@" + snapshot;
        }
    }

    /** librbd calls the progress function unconditionally: a null one is a jump to address 0. */
    private static final Rbd.ProgressCallback NO_PROGRESS = (offset, total, data) -> 0;

    private final Rbd rbd;
    private final String cluster;
    private final String name;
    private Pointer image;

    RbdImage(Rbd rbd, String cluster, String name, Pointer image) {
        this.rbd = rbd;
        this.cluster = cluster;
        this.name = name;
        this.image = image;
    }

    String name() {
        return name;
    }

    long size() {
        LongByReference size = new LongByReference();
        check(rbd.rbd_get_size(image, size), "reading the size of");
        return size.getValue();
    }

    long features() {
        LongByReference f = new LongByReference();
        check(rbd.rbd_get_features(image, f), "reading the features of");
        return f.getValue();
    }

    /** The parent snapshot of a clone, or null when the image has none (never cloned, or flattened). */
    Parent parent() {
        Rbd.LinkedImageSpec spec = new Rbd.LinkedImageSpec();
        Rbd.SnapSpec snap = new Rbd.SnapSpec();
        int rc = rbd.rbd_get_parent(image, spec, snap);
        if (rc == -CephErrors.ENOENT) return null;
        check(rc, "reading the parent of");
        try {
            return new Parent(spec.poolName.getString(0), spec.imageName.getString(0), snap.name.getString(0));
        } finally {
            rbd.rbd_linked_image_spec_cleanup(spec);
            rbd.rbd_snap_spec_cleanup(snap);
        }
    }

    void resize(long bytes, boolean allowShrink) {
        check(rbd.rbd_resize2(image, bytes, allowShrink, NO_PROGRESS, null), "resizing");
    }

    List<String> snapshots() {
        int capacity = 16;
        while (true) {
            // librbd wants one spare entry for its end marker
            Rbd.SnapInfo[] infos = (Rbd.SnapInfo[]) new Rbd.SnapInfo().toArray(capacity);
            IntByReference max = new IntByReference(capacity);
            int rc = rbd.rbd_snap_list(image, infos, max);
            if (rc == -CephErrors.ERANGE) {
                capacity = Math.max(max.getValue(), capacity * 2);
                continue;
            }
            check(rc, "listing the snapshots of");
            List<String> names = new ArrayList<>(rc);
            for (int i = 0; i < rc; i++) names.add(infos[i].name.getString(0));
            rbd.rbd_snap_list_end(infos);
            return names;
        }
    }

    void createSnapshot(String snap) {
        check(rbd.rbd_snap_create(image, snap), "creating snapshot " + snap + " of");
    }

    void removeSnapshot(String snap) {
        check(rbd.rbd_snap_remove(image, snap), "removing snapshot " + snap + " of");
    }

    boolean isProtected(String snap) {
        IntByReference p = new IntByReference();
        check(rbd.rbd_snap_is_protected(image, snap, p), "checking protection of snapshot " + snap + " of");
        return p.getValue() != 0;
    }

    void protect(String snap) {
        check(rbd.rbd_snap_protect(image, snap), "protecting snapshot " + snap + " of");
    }

    void unprotect(String snap) {
        check(rbd.rbd_snap_unprotect(image, snap), "unprotecting snapshot " + snap + " of");
    }

    void flatten() {
        check(rbd.rbd_flatten_with_progress(image, NO_PROGRESS, null), "flattening");
    }

    /** The addresses of the clients watching the image (a VM's QEMU, a mapped kernel device, ...). */
    List<String> watchers() {
        long capacity = 8;
        while (true) {
            Rbd.Watcher[] ws = (Rbd.Watcher[]) new Rbd.Watcher().toArray((int) capacity);
            LongByReference max = new LongByReference(capacity);
            int rc = rbd.rbd_watchers_list(image, ws, max);
            if (rc == -CephErrors.ERANGE) {
                capacity = Math.max(max.getValue(), capacity * 2);
                continue;
            }
            check(rc, "listing the watchers of");
            long n = max.getValue();
            List<String> addrs = new ArrayList<>();
            for (int i = 0; i < n; i++) addrs.add(ws[i].addr == null ? "?" : ws[i].addr.getString(0));
            if (n > 0) rbd.rbd_watchers_list_cleanup(ws, n);
            return addrs;
        }
    }

    byte[] read(long offset, int length) {
        byte[] buf = new byte[length];
        long n = rbd.rbd_read(image, offset, length, buf);
        if (n < 0) check((int) n, "reading");
        if (n != length) throw new BackendFailureException("short read of " + name + ": " + n + " of " + length + " bytes", null);
        return buf;
    }

    void write(long offset, byte[] data) {
        long n = rbd.rbd_write(image, offset, data.length, data);
        if (n < 0) check((int) n, "writing");
        if (n != data.length) throw new BackendFailureException("short write to " + name + ": " + n + " of " + data.length + " bytes", null);
    }

    private void check(int rc, String action) {
        CephErrors.check(rc, cluster, action, "image " + name);
    }

    @Override
    public void close() {
        if (image != null) {
            rbd.rbd_close(image);
            image = null;
        }
    }
}
