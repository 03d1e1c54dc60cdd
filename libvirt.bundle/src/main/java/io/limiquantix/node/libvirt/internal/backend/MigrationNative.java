package io.limiquantix.node.libvirt.internal.backend;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.PointerType;
import java.lang.reflect.Field;
import org.libvirt.Domain;

/**
 * The one migration call libvirt-java 0.5.4 lacks: {@code virDomainMigrateStartPostCopy}, through our own
 * JNA mapping of {@code libvirt.so.0} on the domain's native pointer (libvirt-java's package-private
 * {@code Domain.vdp}; the library is embedded, so its layout is fixed).
 */
final class MigrationNative {
    interface Api extends Library {
        int virDomainMigrateStartPostCopy(Pointer domain, int flags);
    }

    private static volatile Api api;

    private MigrationNative() {}

    /** Returns null on success, otherwise why it failed. */
    static String startPostCopy(Domain d) {
        try {
            Field f = Domain.class.getDeclaredField("vdp");
            f.setAccessible(true);
            Pointer p = ((PointerType) f.get(d)).getPointer();
            Api a = api;
            if (a == null) api = a = Native.load("virt", Api.class);
            return a.virDomainMigrateStartPostCopy(p, 0) == 0 ? null : "virDomainMigrateStartPostCopy failed";
        } catch (ReflectiveOperationException | RuntimeException | UnsatisfiedLinkError e) {
            return "cannot call virDomainMigrateStartPostCopy: " + e;
        }
    }
}
