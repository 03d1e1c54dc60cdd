package io.limiquantix.node.ceph.internal;

import com.sun.jna.Native;

/**
 * Loads librados and librbd once per bundle activation. The versioned sonames are tried first because the
 * runtime packages (librados2, librbd1) ship only {@code librados.so.2} and {@code librbd.so.1}; the
 * unversioned names exist only with the -dev packages. A missing library is reported with the package
 * to install, not as a bare UnsatisfiedLinkError.
 */
final class CephLibraries {
    final Rados rados;
    final Rbd rbd;

    private CephLibraries(Rados rados, Rbd rbd) {
        this.rados = rados;
        this.rbd = rbd;
    }

    private static volatile CephLibraries loaded;
    private static volatile String failure;

    /** The libraries, or null when they cannot be loaded ({@link #failure()} says why). */
    static CephLibraries get() {
        CephLibraries l = loaded;
        if (l != null) return l;
        synchronized (CephLibraries.class) {
            if (loaded == null) {
                try {
                    loaded = new CephLibraries(load("librados.so.2", "rados", Rados.class), load("librbd.so.1", "rbd", Rbd.class));
                } catch (UnsatisfiedLinkError e) {
                    failure = "librados/librbd not loadable (install the Debian packages librados2 and librbd1): " + e.getMessage();
                }
            }
            return loaded;
        }
    }

    static String failure() {
        return failure;
    }

    private static <T extends com.sun.jna.Library> T load(String soname, String plain, Class<T> type) {
        try {
            return Native.load(soname, type);
        } catch (UnsatisfiedLinkError first) {
            return Native.load(plain, type);
        }
    }
}
