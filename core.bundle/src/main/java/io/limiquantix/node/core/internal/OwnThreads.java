package io.limiquantix.node.core.internal;

import java.security.AccessController;
import java.security.PrivilegedAction;

/**
 * Creates the runtime's threads so that they hold on to nothing of whoever happened to be calling. A
 * {@link Thread} inherits its creator's context class loader and a snapshot of the protection domains on the
 * creating stack; both reference class loaders. Pools here grow on demand, often on a stack that runs through
 * a backend bundle (a service registration, an event delivered from a backend's thread), and a long-lived pool
 * thread would then keep that bundle's class loader — every class of an uninstalled or updated backend —
 * alive as long as the thread lives. Created under {@code doPrivileged}, the snapshot stops at this class;
 * the context class loader is this bundle's.
 */
final class OwnThreads {
    private OwnThreads() {}

    @SuppressWarnings("removal")
    static Thread daemon(Runnable r, String name) {
        Thread t = AccessController.doPrivileged((PrivilegedAction<Thread>) () -> new Thread(r, name));
        t.setDaemon(true);
        t.setContextClassLoader(OwnThreads.class.getClassLoader());
        return t;
    }
}
