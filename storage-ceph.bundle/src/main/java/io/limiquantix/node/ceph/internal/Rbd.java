package io.limiquantix.node.ceph.internal;

import com.sun.jna.Callback;
import com.sun.jna.Library;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.PointerByReference;

/**
 * The librbd functions this bundle needs, mapped by hand from {@code rbd/librbd.h} (Ceph 16, checked
 * against the installed header). Structures mirror the C layout field by field; {@code bool} members are
 * one byte. List functions follow librbd's protocol: the caller passes an array and its capacity, and
 * gets {@code -ERANGE} plus the needed capacity when it was too small.
 */
interface Rbd extends Library {
    int RBD_IMAGE_OPTION_FORMAT = 0;
    int RBD_IMAGE_OPTION_FEATURES = 1;
    int RBD_IMAGE_OPTION_ORDER = 2;

    long FEATURE_LAYERING = 1L;
    long FEATURE_EXCLUSIVE_LOCK = 1L << 2;
    long FEATURE_OBJECT_MAP = 1L << 3;
    long FEATURE_FAST_DIFF = 1L << 4;
    long FEATURE_DEEP_FLATTEN = 1L << 5;

    /** {@code int (*librbd_progress_fn_t)(uint64_t offset, uint64_t total, void *ptr)}. */
    interface ProgressCallback extends Callback {
        int invoke(long offset, long total, Pointer data);
    }

    @Structure.FieldOrder({"id", "name"})
    class ImageSpec extends Structure {
        public Pointer id;
        public Pointer name;
    }

    @Structure.FieldOrder({"id", "size", "name"})
    class SnapInfo extends Structure {
        public long id;
        public long size;
        public Pointer name;
    }

    @Structure.FieldOrder({"addr", "id", "cookie"})
    class Watcher extends Structure {
        public Pointer addr;
        public long id;
        public long cookie;
    }

    @Structure.FieldOrder({"poolId", "poolName", "poolNamespace", "imageId", "imageName", "trash"})
    class LinkedImageSpec extends Structure {
        public long poolId;
        public Pointer poolName;
        public Pointer poolNamespace;
        public Pointer imageId;
        public Pointer imageName;
        public byte trash;
    }

    @Structure.FieldOrder({"id", "namespaceType", "name"})
    class SnapSpec extends Structure {
        public long id;
        public int namespaceType;
        public Pointer name;
    }

    void rbd_image_options_create(PointerByReference opts);

    void rbd_image_options_destroy(Pointer opts);

    int rbd_image_options_set_uint64(Pointer opts, int option, long value);

    int rbd_create4(Pointer ioctx, String name, long size, Pointer opts);

    int rbd_clone3(Pointer parentIoctx, String parentName, String parentSnap, Pointer childIoctx, String childName,
                   Pointer opts);

    int rbd_remove(Pointer ioctx, String name);

    int rbd_list2(Pointer ioctx, ImageSpec[] images, LongByReference maxImages);

    void rbd_image_spec_list_cleanup(ImageSpec[] images, long count);

    int rbd_open(Pointer ioctx, String name, PointerByReference image, String snapName);

    int rbd_open_read_only(Pointer ioctx, String name, PointerByReference image, String snapName);

    int rbd_close(Pointer image);

    int rbd_get_size(Pointer image, LongByReference size);

    int rbd_get_features(Pointer image, LongByReference features);

    int rbd_resize2(Pointer image, long size, boolean allowShrink, ProgressCallback progress, Pointer data);

    int rbd_get_parent(Pointer image, LinkedImageSpec parentImage, SnapSpec parentSnap);

    void rbd_linked_image_spec_cleanup(LinkedImageSpec image);

    void rbd_snap_spec_cleanup(SnapSpec snap);

    int rbd_snap_create(Pointer image, String snapName);

    int rbd_snap_remove(Pointer image, String snapName);

    int rbd_snap_list(Pointer image, SnapInfo[] snaps, IntByReference maxSnaps);

    void rbd_snap_list_end(SnapInfo[] snaps);

    int rbd_snap_protect(Pointer image, String snapName);

    int rbd_snap_unprotect(Pointer image, String snapName);

    int rbd_snap_is_protected(Pointer image, String snapName, IntByReference isProtected);

    int rbd_flatten_with_progress(Pointer image, ProgressCallback progress, Pointer data);

    long rbd_read(Pointer image, long offset, long length, byte[] buf);

    long rbd_write(Pointer image, long offset, long length, byte[] buf);

    int rbd_watchers_list(Pointer image, Watcher[] watchers, LongByReference maxWatchers);

    void rbd_watchers_list_cleanup(Watcher[] watchers, long count);
}
