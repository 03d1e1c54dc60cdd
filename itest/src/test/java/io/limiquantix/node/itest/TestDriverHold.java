package io.limiquantix.node.itest;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * Holds one connection to libvirt's in-process {@code test:///default} driver open for the length of a test.
 * The test driver keeps its domains only while some connection to it is open; a real libvirtd keeps
 * them regardless. Holding a connection here makes the test driver behave like the daemon when a test
 * removes and re-adds the backend that uses it. It also lets a test count domains without the node.
 */
final class TestDriverHold implements AutoCloseable {
    interface Virt extends Library {
        Pointer virConnectOpen(String uri);

        int virConnectClose(Pointer conn);

        int virConnectNumOfDomains(Pointer conn);

        int virConnectNumOfDefinedDomains(Pointer conn);
    }

    private static final Virt VIRT = Native.load("virt", Virt.class);
    private final Pointer conn;

    TestDriverHold() {
        conn = VIRT.virConnectOpen("test:///default");
        if (conn == null) throw new IllegalStateException("cannot open test:///default through libvirt");
    }

    /** Running plus defined-but-stopped domains, as libvirt itself counts them. */
    int domainCount() {
        return VIRT.virConnectNumOfDomains(conn) + VIRT.virConnectNumOfDefinedDomains(conn);
    }

    @Override
    public void close() {
        VIRT.virConnectClose(conn);
    }
}
