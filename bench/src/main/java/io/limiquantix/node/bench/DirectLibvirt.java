package io.limiquantix.node.bench;

import java.util.Locale;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.DomainInfo;
import org.libvirt.LibvirtException;

/** The baselines: libvirt-java called straight from the benchmark's class space, no node in between. */
final class DirectLibvirt {
    /** libvirt's VIR_DOMAIN_UNDEFINE_MANAGED_SAVE | SNAPSHOTS_METADATA | NVRAM | CHECKPOINTS_METADATA: what the node passes. */
    static final int UNDEFINE_FLAGS = 1 | 2 | 4 | 16;

    private DirectLibvirt() {}

    /**
     * Defines {@code count} domains on a fresh test:///default connection of its own (the test driver's state
     * is per connection, so the node's VMs are not visible here), then lists them {@code samples} times the
     * way a client of libvirt would (see {@link #listOnce}). Closing the connection drops every domain.
     */
    static Stats testDriverListing(int count, int samples, Stats cpu) throws LibvirtException {
        Connect c = new Connect("test:///default");
        try {
            int existing = c.numOfDomains() + c.numOfDefinedDomains();
            for (int i = existing; i < count; i++) c.domainDefineXML(Specs.testDriverXml(String.format(Locale.ROOT, "lq-bench-d%05d", i)));
            for (int i = 0; i < 10; i++) listOnce(c);
            Stats s = new Stats();
            for (int i = 0; i < samples; i++) {
                long c0 = Main.cpuNanos();
                long t0 = System.nanoTime();
                int n = listOnce(c);
                s.add(System.nanoTime() - t0);
                cpu.add(Main.cpuNanos() - c0);
                if (n != count) throw new IllegalStateException("libvirt listed " + n + " domains, not " + count);
            }
            return s;
        } finally {
            c.close();
        }
    }

    /**
     * One listing: every domain (libvirt's listAllDomains, one call) and, for each, its state, UUID and name.
     * (listDomains + listDefinedDomains with a lookup per name is quadratic in the test driver, whose lookup
     * by name is a linear scan: 10,000 domains take seconds that way, which would flatter the node.)
     */
    private static int listOnce(Connect c) throws LibvirtException {
        int n = 0;
        long sink = 0;
        for (Domain d : c.listAllDomains(0)) {
            sink += touch(d);
            n++;
        }
        if (sink == 42) System.out.print("");
        return n;
    }

    private static long touch(Domain d) throws LibvirtException {
        DomainInfo info = d.getInfo();
        return d.getUUIDString().length() + d.getName().length() + info.state.ordinal() + info.nrVirtCpu;
    }
}
