package io.limiquantix.node.libvirt.internal.backend;

import com.sun.jna.Library;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.PointerType;
import com.sun.jna.ptr.PointerByReference;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import org.libvirt.Connect;
import org.libvirt.LibvirtException;

/**
 * Our own JNA mapping of the libvirt calls libvirt-java 0.5.4 lacks for bulk statistics:
 * {@code virConnectGetAllDomainStats} and {@code virDomainStatsRecordListFree}, plus the two domain getters
 * used on the records. The connection is libvirt-java's own: its native {@code virConnectPtr} is read from
 * the protected field {@code Connect.vcp} (the library is embedded, so its version and layout are fixed).
 * Both map the same {@code libvirt.so.0}; JNA loads it once.
 */
final class DomainStatsNative {
    // virDomainStatsTypes
    static final int STATS_STATE = 1;
    static final int STATS_CPU_TOTAL = 2;
    static final int STATS_BALLOON = 4;
    static final int STATS_VCPU = 8;
    static final int STATS_INTERFACE = 16;
    static final int STATS_BLOCK = 32;
    // virConnectGetAllDomainStatsFlags: do not wait for a domain's job (a migrating or snapshotting VM) —
    // report what can be read without it.
    static final int FLAG_NOWAIT = 1 << 29;

    // virTypedParameterType
    static final int PARAM_INT = 1;
    static final int PARAM_UINT = 2;
    static final int PARAM_LLONG = 3;
    static final int PARAM_ULLONG = 4;
    static final int PARAM_DOUBLE = 5;
    static final int PARAM_BOOLEAN = 6;
    static final int PARAM_STRING = 7;

    /** struct _virTypedParameter: char field[80]; int type; union value (8-byte aligned) — 96 bytes on LP64. */
    static final int PARAM_FIELD_LENGTH = 80;
    static final int PARAM_TYPE_OFFSET = 80;
    static final int PARAM_VALUE_OFFSET = 88;
    static final int PARAM_SIZE = 96;
    /** struct _virDomainStatsRecord: virDomainPtr dom; virTypedParameterPtr params; int nparams. */
    static final int RECORD_DOM_OFFSET = 0;
    static final int RECORD_PARAMS_OFFSET = Native.POINTER_SIZE;
    static final int RECORD_NPARAMS_OFFSET = 2 * Native.POINTER_SIZE;
    static final int UUID_BUFLEN = 16;

    /**
     * JNA direct mapping (static natives bound once with {@link Native#register}): a call costs a fraction of a
     * call through a {@link Library} proxy, which matters at two calls per domain and a thousand domains.
     */
    static final class Direct {
        static native int virConnectGetAllDomainStats(Pointer conn, int stats, PointerByReference retStats, int flags);

        static native void virDomainStatsRecordListFree(Pointer stats);

        /** The name's address (libvirt's own memory, valid while the domain is): read by the caller. */
        static native Pointer virDomainGetName(Pointer domain);

        /** Fills 16 raw bytes (VIR_UUID_BUFLEN). */
        static native int virDomainGetUUID(Pointer domain, byte[] uuid);

        private Direct() {}
    }

    private static volatile boolean registered;
    private static volatile Field vcp;
    private static volatile Method processError;

    private DomainStatsNative() {}

    /** Binds {@link Direct} to libvirt.so.0 on first use. */
    static void bind() {
        if (registered) return;
        synchronized (DomainStatsNative.class) {
            if (!registered) {
                Native.register(Direct.class, NativeLibrary.getInstance("virt", DomainStatsNative.class.getClassLoader()));
                registered = true;
            }
        }
    }

    static void unbind() {
        synchronized (DomainStatsNative.class) {
            if (registered) Native.unregister(Direct.class);
            registered = false;
        }
    }

    /** The native virConnectPtr behind libvirt-java's Connect. */
    static Pointer pointer(Connect c) {
        try {
            Field f = vcp;
            if (f == null) {
                f = Connect.class.getDeclaredField("vcp");
                f.setAccessible(true);
                vcp = f;
            }
            PointerType p = (PointerType) f.get(c);
            if (p == null || p.getPointer() == null) throw new IllegalStateException("libvirt connection is closed");
            return p.getPointer();
        } catch (ReflectiveOperationException | ClassCastException e) {
            throw new IllegalStateException("cannot reach libvirt-java's connection pointer (Connect.vcp): " + e, e);
        }
    }

    /**
     * Throws libvirt's last error on this thread as libvirt-java would (a {@link LibvirtException} carrying its
     * code and domain), so the backend maps it like any other call's failure.
     */
    static void throwLastError() throws LibvirtException {
        try {
            Method m = processError;
            if (m == null) {
                m = Class.forName("org.libvirt.ErrorHandler").getDeclaredMethod("processError", int.class);
                m.setAccessible(true);
                processError = m;
            }
            m.invoke(null, -1);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof LibvirtException le) throw le;
            throw new IllegalStateException("libvirt error handling failed: " + e.getCause(), e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot reach libvirt-java's error handler: " + e, e);
        }
        throw new IllegalStateException("virConnectGetAllDomainStats failed and libvirt reported no error");
    }
}
