package io.limiquantix.node.libvirt.internal;

import io.limiquantix.node.libvirt.internal.backend.SecretLookup;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.logging.Logger;

/**
 * The cephx key lookups the storage bundles register: {@code java.util.function.Function<String, byte[]>}
 * services with {@code limiquantix.secret.usage=ceph} (see storage-ceph.bundle's README, "Secrets"),
 * tracked by Dependency Manager as an optional multiple dependency. A key is asked of each lookup in turn;
 * the first that knows the UUID answers. Keys are never kept here, logged or shown.
 */
final class CephSecrets implements SecretLookup {
    static final String FILTER = "(limiquantix.secret.usage=ceph)";
    private static final Logger LOG = Logger.getLogger(CephSecrets.class.getName());

    private final List<Function<String, byte[]>> lookups = new CopyOnWriteArrayList<>();

    @SuppressWarnings("unchecked")
    void added(Function<?, ?> lookup) {
        lookups.add((Function<String, byte[]>) lookup);
        LOG.info("Ceph secret lookups available: " + lookups.size());
    }

    void removed(Function<?, ?> lookup) {
        lookups.remove(lookup);
        LOG.info("Ceph secret lookups available: " + lookups.size());
    }

    @Override
    public byte[] cephKey(String secretUuid) {
        if (secretUuid == null) return null;
        for (Function<String, byte[]> f : lookups) {
            Object v = f.apply(secretUuid);
            if (v instanceof byte[] b && b.length > 0) return b;
        }
        return null;
    }

    int size() {
        return lookups.size();
    }

    @Override
    public String toString() {
        return "Ceph secret lookups (" + lookups.size() + ")";
    }
}
