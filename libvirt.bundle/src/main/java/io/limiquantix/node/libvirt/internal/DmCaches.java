package io.limiquantix.node.libvirt.internal;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.apache.felix.dm.DependencyManager;

/**
 * Forgets this bundle's classes in Felix Dependency Manager's callback-method cache when the bundle has stopped.
 * DM (a bundle of its own, shared by every revision of this one) looks callbacks up by reflection and keeps the
 * result in a static LRU map ({@code org.apache.felix.dm.impl.InvocationUtil.m_methodCache}, 4096 entries) whose
 * keys hold the component's class strongly and are never removed when that class's bundle goes away. Measured:
 * without this, every uninstalled or updated revision of this bundle stays in memory (RevisionCollectedIT).
 *
 * <p>Must run after DM's last callback into this bundle, i.e. after {@code DependencyManager.clear()} (see
 * {@link Activator#stop}). The map is locked the way DM locks it. Reflection on a private field of DM 4.x: a DM
 * without it only costs the leak, which is logged.
 */
final class DmCaches {
    private static final Logger LOG = Logger.getLogger(DmCaches.class.getName());

    private DmCaches() {}

    /** Removes the entries whose class (or cached method's class) was loaded by {@code loader}; returns how many. */
    static int forget(ClassLoader loader) {
        try {
            Class<?> util = Class.forName("org.apache.felix.dm.impl.InvocationUtil", false, DependencyManager.class.getClassLoader());
            Field cacheField = util.getDeclaredField("m_methodCache");
            cacheField.setAccessible(true);
            if (!(cacheField.get(null) instanceof Map<?, ?> cache)) return 0;
            Field clazz = Class.forName("org.apache.felix.dm.impl.InvocationUtil$Key", false, util.getClassLoader())
                .getDeclaredField("m_clazz");
            clazz.setAccessible(true);
            synchronized (cache) {
                int before = cache.size();
                cache.entrySet().removeIf(e -> {
                    try {
                        Object k = e.getKey();
                        if (k != null && clazz.get(k) instanceof Class<?> c && c.getClassLoader() == loader) return true;
                    } catch (IllegalAccessException ex) {
                        throw new IllegalStateException(ex);
                    }
                    return e.getValue() instanceof Method m && m.getDeclaringClass().getClassLoader() == loader;
                });
                return before - cache.size();
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.log(Level.WARNING, "cannot clear Dependency Manager's callback cache; this revision's classes may stay in memory"
                + " after the bundle is gone", e);
            return 0;
        }
    }
}
