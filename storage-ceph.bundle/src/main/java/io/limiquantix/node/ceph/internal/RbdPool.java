package io.limiquantix.node.ceph.internal;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.PointerByReference;
import java.util.ArrayList;
import java.util.List;

/** Pool-level librbd calls on a session's I/O context: create, clone, open, list, remove. */
final class RbdPool {
    private final Rbd rbd;
    private final String cluster;
    private final String pool;
    private final Pointer ioctx;

    RbdPool(Rbd rbd, String cluster, String pool, CephSession session) {
        this.rbd = rbd;
        this.cluster = cluster;
        this.pool = pool;
        this.ioctx = session.ioctx;
    }

    void create(String name, long bytes, long features) {
        withOptions(features, opts -> CephErrors.check(rbd.rbd_create4(ioctx, name, bytes, opts), cluster, "creating", what(name)));
    }

    /** A copy-on-write clone of {@code parent@snapshot} (in this pool) named {@code child}. */
    void clone(String parent, String snapshot, String child, long features) {
        withOptions(features, opts -> CephErrors.check(
            rbd.rbd_clone3(ioctx, parent, snapshot, ioctx, child, opts), cluster, "cloning " + parent + "@" + snapshot + " to", what(child)));
    }

    void remove(String name) {
        CephErrors.check(rbd.rbd_remove(ioctx, name), cluster, "removing", what(name));
    }

    RbdImage open(String name) {
        PointerByReference ref = new PointerByReference();
        CephErrors.check(rbd.rbd_open(ioctx, name, ref, null), cluster, "opening", what(name));
        return new RbdImage(rbd, cluster, name, ref.getValue());
    }

    /** Opens without registering a watch, so the image's watcher list shows only other clients. */
    RbdImage openReadOnly(String name) {
        PointerByReference ref = new PointerByReference();
        CephErrors.check(rbd.rbd_open_read_only(ioctx, name, ref, null), cluster, "opening", what(name));
        return new RbdImage(rbd, cluster, name, ref.getValue());
    }

    List<String> list() {
        long capacity = 64;
        while (true) {
            Rbd.ImageSpec[] specs = (Rbd.ImageSpec[]) new Rbd.ImageSpec().toArray((int) capacity);
            LongByReference max = new LongByReference(capacity);
            int rc = rbd.rbd_list2(ioctx, specs, max);
            if (rc == -CephErrors.ERANGE) {
                capacity = Math.max(max.getValue(), capacity * 2);
                continue;
            }
            CephErrors.check(rc, cluster, "listing images of", "pool " + pool);
            long n = max.getValue();
            List<String> names = new ArrayList<>();
            for (int i = 0; i < n; i++) names.add(specs[i].name.getString(0));
            if (n > 0) rbd.rbd_image_spec_list_cleanup(specs, n);
            return names;
        }
    }

    private String what(String name) {
        return "image " + pool + "/" + name;
    }

    private void withOptions(long features, java.util.function.Consumer<Pointer> use) {
        PointerByReference ref = new PointerByReference();
        rbd.rbd_image_options_create(ref);
        Pointer opts = ref.getValue();
        try {
            // format 2 is what every feature beyond layering needs; 0 would let a client default decide
            CephErrors.check(rbd.rbd_image_options_set_uint64(opts, Rbd.RBD_IMAGE_OPTION_FORMAT, 2), cluster, "setting", "image format");
            CephErrors.check(rbd.rbd_image_options_set_uint64(opts, Rbd.RBD_IMAGE_OPTION_FEATURES, features), cluster, "setting", "image features");
            use.accept(opts);
        } finally {
            rbd.rbd_image_options_destroy(opts);
        }
    }
}
