package io.limiquantix.node.libvirt.internal.backend;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.Properties;
import java.util.logging.Logger;

/**
 * Keeps {@link KvmProbe}'s verdict in the node's data directory, so that neither a node restart nor a swap
 * of this bundle (whose new revision starts with fresh statics) runs the 3-second probe guest again while
 * nothing it depends on has changed. The verdict is keyed by what decides it: the kernel release, the QEMU
 * binary (size and modification time), whether {@code /dev/kvm} exists, and the probe itself (its code,
 * tick count and time limit). Any difference means the probe runs again and its verdict replaces the
 * stored one. Deleting the file forces a new probe at the next start.
 */
final class KvmVerdictStore {
    private static final Logger LOG = Logger.getLogger(KvmVerdictStore.class.getName());
    static final String FILE_NAME = "kvm-probe.properties";

    private final VerdictFile file;
    private final HostProbeKey host;

    KvmVerdictStore(Path file, Path qemu, Path devKvm, Path osRelease) {
        this(file, new HostProbeKey(qemu, devKvm, osRelease));
    }

    KvmVerdictStore(Path file, HostProbeKey host) {
        this.file = new VerdictFile(file);
        this.host = host;
    }

    /** The store for this host, in {@code dataDir}. */
    static KvmVerdictStore in(Path dataDir) {
        return new KvmVerdictStore(dataDir.resolve(FILE_NAME), HostProbeKey.local());
    }

    Path file() {
        return file.path();
    }

    /** What the verdict depends on, as one line: the host ({@link HostProbeKey}) and this probe's version. */
    String key() {
        return host.host() + ";probe=" + KvmProbe.TICKS + '/' + KvmProbe.TIMEOUT_SECONDS + '/'
            + Integer.toHexString(Arrays.hashCode(KvmProbe.CODE));
    }

    /** The stored verdict when its key is the current one, else null. */
    KvmProbe.Result load() {
        Properties p = file.read();
        if (p == null) return null;
        String key = key();
        if (!key.equals(p.getProperty("key"))) {
            LOG.info("the stored KVM verdict (" + file() + ") was taken for " + p.getProperty("key") + "; this host is now " + key
                + ": probing again");
            return null;
        }
        String runs = p.getProperty("runsGuests");
        String detail = p.getProperty("detail");
        if (runs == null || detail == null) return null;
        return new KvmProbe.Result(Boolean.parseBoolean(runs), detail + " (probed " + p.getProperty("probedAt", "earlier")
            + ", verdict kept in " + file() + " while kernel, QEMU and /dev/kvm are unchanged)");
    }

    /** Stores a verdict atomically (temporary file, then rename); failure only costs a probe next time. */
    void save(KvmProbe.Result r) {
        Properties p = new Properties();
        p.setProperty("key", key());
        p.setProperty("runsGuests", Boolean.toString(r.runsGuests()));
        p.setProperty("detail", r.detail());
        p.setProperty("probedAt", Instant.now().toString());
        file.write(p, "KVM probe verdict of the libvirt backend; delete this file to probe again");
    }
}
