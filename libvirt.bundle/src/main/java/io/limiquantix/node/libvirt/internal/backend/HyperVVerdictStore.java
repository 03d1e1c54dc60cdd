package io.limiquantix.node.libvirt.internal.backend;

import io.limiquantix.node.api.Accelerator;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.Locale;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.logging.Logger;

/**
 * Keeps {@link HyperVProbe}'s verdicts (one per accelerator) in the node's data directory, next to the KVM
 * verdict and under the same kind of key ({@link HostProbeKey}: kernel release, QEMU binary size and time,
 * {@code /dev/kvm} presence; plus {@link HyperVProbe#VERSION}), so that neither a reconnect, a swap of this
 * bundle nor a node restart runs QEMU again while the host is unchanged. File
 * {@code <data>/hyperv-probe.properties}: {@code <accel>.key}, {@code <accel>.accepted} (comma-separated
 * libvirt names), {@code <accel>.probedAt}. Deleting it forces new probes.
 */
final class HyperVVerdictStore {
    private static final Logger LOG = Logger.getLogger(HyperVVerdictStore.class.getName());
    static final String FILE_NAME = "hyperv-probe.properties";

    private final VerdictFile file;
    private final HostProbeKey host;

    HyperVVerdictStore(Path file, HostProbeKey host) {
        this.file = new VerdictFile(file);
        this.host = host;
    }

    /** The store for this host, in {@code dataDir}. */
    static HyperVVerdictStore in(Path dataDir) {
        return new HyperVVerdictStore(dataDir.resolve(FILE_NAME), HostProbeKey.local());
    }

    Path file() {
        return file.path();
    }

    /** The QEMU whose answers are stored (the one the key describes). */
    Path qemu() {
        return host.qemu();
    }

    String key() {
        return host.host() + ";probe=" + HyperVProbe.VERSION;
    }

    private static String prefix(Accelerator a) {
        return a.name().toLowerCase(Locale.ROOT) + '.';
    }

    /** The stored set for {@code accelerator} when its key is the current one, else null. */
    synchronized Set<String> load(Accelerator accelerator) {
        Properties p = file.read();
        if (p == null) return null;
        String pre = prefix(accelerator);
        String stored = p.getProperty(pre + "key");
        String accepted = p.getProperty(pre + "accepted");
        if (stored == null || accepted == null) return null;
        String key = key();
        if (!key.equals(stored)) {
            LOG.info("the stored Hyper-V verdict for " + accelerator + " (" + file() + ") was taken for " + stored
                + "; this host is now " + key + ": probing again");
            return null;
        }
        Set<String> out = new TreeSet<>();
        for (String n : accepted.split(",")) if (!n.isBlank()) out.add(n.trim());
        LOG.fine(() -> "Hyper-V enlightenments under " + accelerator + " from " + file() + " (probed "
            + p.getProperty(pre + "probedAt", "earlier") + "): " + out);
        return Set.copyOf(out);
    }

    /** Stores the set for {@code accelerator}, keeping the other accelerators' entries; atomic, mode 0600. */
    synchronized void save(Accelerator accelerator, Set<String> accepted) {
        Properties p = file.read();
        if (p == null) p = new Properties();
        String pre = prefix(accelerator);
        p.setProperty(pre + "key", key());
        String[] names = accepted.toArray(new String[0]);
        Arrays.sort(names);
        p.setProperty(pre + "accepted", String.join(",", names));
        p.setProperty(pre + "probedAt", Instant.now().toString());
        file.write(p, "Hyper-V enlightenments QEMU accepts, per accelerator (libvirt backend); delete this file to probe again");
    }
}
