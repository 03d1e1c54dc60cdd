package io.limiquantix.node.libvirt.internal;

import java.lang.reflect.Field;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Forgets this bundle's classes in JNA's static caches when the bundle stops. JNA (a bundle of its own, shared
 * by every revision of this one) keeps per-class caches in weak-keyed maps whose values hold the key strongly:
 * a structure's layout holds its {@code Field}s (which name their declaring class), a library's options hold
 * its class loader. Such entries are never cleared, so without this every update or reinstall of this bundle
 * would leave the previous revision's class loader — all of libvirt-java and this bundle — in memory. Only
 * entries whose key class was loaded by this bundle's class loader are removed; JNA recomputes any entry it
 * needs again. Reflection on JNA's private fields: JNA's version is pinned by the runtime, and a JNA without
 * these fields only costs the leak, which is logged.
 */
final class JnaCaches {
    private static final Logger LOG = Logger.getLogger(JnaCaches.class.getName());
    private static final String[][] CACHES = {
        {"com.sun.jna.Structure", "layoutInfo"},
        {"com.sun.jna.Structure", "fieldOrder"},
        {"com.sun.jna.Structure", "fieldList"},
        {"com.sun.jna.Structure", "validationMap"},
        {"com.sun.jna.Native", "typeOptions"},
        {"com.sun.jna.Native", "libraries"},
        {"com.sun.jna.NativeMappedConverter", "converters"},
    };
    /**
     * Callback objects (keys) whose CallbackReference (value) holds the callback's Method, hence its class, its
     * class loader and the static fields that hold callbacks (libvirt-java's wake-up timer, our error function).
     * Removing an entry lets JNA free the native stub, so these are cleared only when libvirt can no longer call
     * any callback of this revision: the event loop has stopped, its wake-up timer is removed from libvirt
     * ({@code EventLoop}), the error function is reset and every domain and close callback is deregistered.
     */
    private static final String[][] CALLBACKS = {
        {"com.sun.jna.CallbackReference", "callbackMap"},
        {"com.sun.jna.CallbackReference", "directCallbackMap"},
        {"com.sun.jna.CallbackReference", "initializers"},
    };

    private JnaCaches() {}

    /**
     * Removes the entries of classes (or objects of classes) loaded by {@code loader}; returns how many. Callbacks
     * only when {@code callbacks}: the caller vouches that libvirt holds none of them any more.
     */
    static int forget(ClassLoader loader, boolean callbacks) {
        int removed = forget(loader, CACHES);
        return callbacks ? removed + forget(loader, CALLBACKS) : removed;
    }

    private static int forget(ClassLoader loader, String[][] caches) {
        int removed = 0;
        for (String[] cache : caches) {
            try {
                Field f = Class.forName(cache[0], false, com.sun.jna.Native.class.getClassLoader()).getDeclaredField(cache[1]);
                f.setAccessible(true);
                Object value = f.get(null);
                if (!(value instanceof Map<?, ?> map)) continue;
                synchronized (map) {
                    int before = map.size();
                    map.keySet().removeIf(k -> k instanceof Class<?> c ? c.getClassLoader() == loader
                        : k != null && k.getClass().getClassLoader() == loader);
                    removed += before - map.size();
                }
            } catch (ReflectiveOperationException | RuntimeException e) {
                LOG.log(Level.WARNING, "cannot clear JNA's cache " + cache[0] + "." + cache[1]
                    + "; this revision's classes may stay in memory after the bundle is gone", e);
            }
        }
        return removed;
    }
}
