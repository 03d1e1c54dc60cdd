package io.limiquantix.node.ceph.internal;

import io.limiquantix.node.api.ConflictException;
import io.limiquantix.node.api.Feature;
import io.limiquantix.node.api.InvalidArgumentException;
import io.limiquantix.node.api.NotFoundException;
import io.limiquantix.node.api.OperationProgress;
import io.limiquantix.node.api.ProgressListener;
import io.limiquantix.node.api.storage.DiskSource;
import io.limiquantix.node.api.storage.VolumeInfo;
import io.limiquantix.node.api.storage.VolumeProvider;
import io.limiquantix.node.api.storage.VolumeSpec;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;

/**
 * Volumes as RBD images in one pool of one Ceph cluster. Volume names are image names in the configured
 * pool; a backend attaches them as NETWORK sources ({@code rbd}, {@code pool/image}, the monitors, the
 * cephx user and a secret UUID). Every call runs under a deadline (see {@link CephCluster}).
 */
public final class RbdVolumeProvider implements VolumeProvider, AutoCloseable {
    private static final System.Logger LOG = System.getLogger(RbdVolumeProvider.class.getName());
    private final CephCluster cluster;
    private final CephConfig config;

    RbdVolumeProvider(CephCluster cluster) {
        this.cluster = cluster;
        this.config = cluster.config();
    }

    @Override
    public String name() {
        return config.providerName();
    }

    @Override
    public Feature requiredFeature() {
        return Feature.RBD_DISK;
    }

    @Override
    public VolumeInfo create(VolumeSpec spec, ProgressListener progress) {
        if (spec.format() != DiskSource.Format.RAW) throw new InvalidArgumentException("format", "rbd volumes are RAW");
        long features = RbdFeatures.parse(spec.options());
        progress.progress(OperationProgress.phase("create", "creating", 0, spec.name()));
        VolumeInfo info = cluster.call("creating " + spec.name(), s -> {
            pool(s).create(spec.name(), spec.sizeBytes(), features);
            return info(s, spec.name());
        });
        LOG.log(Level.INFO, "created rbd image {0}/{1} ({2} bytes) in ceph cluster ''{3}''", config.pool(), spec.name(), spec.sizeBytes(), config.name());
        progress.progress(OperationProgress.phase("create", "done", 1, spec.name()));
        return info;
    }

    @Override
    public VolumeInfo info(String volume) {
        volume(volume);
        return cluster.call("reading " + volume, s -> info(s, volume));
    }

    @Override
    public List<VolumeInfo> list() {
        return cluster.call("listing pool " + config.pool(), s -> {
            List<VolumeInfo> out = new ArrayList<>();
            for (String image : pool(s).list()) {
                try {
                    out.add(info(s, image));
                } catch (NotFoundException e) {
                    // removed between the listing and the stat: not there any more, so not listed
                }
            }
            return out;
        });
    }

    @Override
    public VolumeInfo resize(String volume, long newSizeBytes, boolean allowShrink) {
        volume(volume);
        Names.range("newSizeBytes", newSizeBytes, 1, VolumeSpec.MAX_BYTES);
        return cluster.longCall("resizing " + volume, s -> {
            try (RbdImage image = pool(s).open(volume)) {
                long size = image.size();
                if (newSizeBytes < size && !allowShrink)
                    throw new InvalidArgumentException("newSizeBytes", "is smaller than the current size " + size + " of " + volume + "; shrinking needs allowShrink");
                if (newSizeBytes != size) image.resize(newSizeBytes, allowShrink);
            }
            return info(s, volume);
        });
    }

    @Override
    public void delete(String volume) {
        volume(volume);
        cluster.longCall("deleting " + volume, s -> {
            RbdPool pool = pool(s);
            // read-only: our own open must not count as a watcher
            try (RbdImage image = pool.openReadOnly(volume)) {
                List<String> watchers = image.watchers();
                if (!watchers.isEmpty())
                    throw new ConflictException("volume " + where(volume) + " is in use by " + watchers.size() + " client(s) " + watchers);
                List<String> snaps = image.snapshots();
                if (!snaps.isEmpty())
                    throw new ConflictException("volume " + where(volume) + " has snapshots " + snaps + "; delete them first");
            }
            // librbd checks watchers again and answers EBUSY, which covers a VM that started meanwhile
            pool.remove(volume);
            return null;
        });
        LOG.log(Level.INFO, "deleted rbd image {0}", where(volume));
    }

    @Override
    public DiskSource resolve(String volume) {
        volume(volume);
        String fsid = cluster.call("resolving " + volume, s -> {
            try (RbdImage image = pool(s).openReadOnly(volume)) {
                return s.fsid;
            }
        });
        return DiskSource.network("rbd", config.pool() + "/" + volume, config.monitors(), config.user(), secretUuid(fsid));
    }

    @Override
    public void createSnapshot(String volume, String snapshot) {
        volume(volume);
        Names.check("snapshot", snapshot);
        cluster.call("snapshotting " + volume, s -> {
            try (RbdImage image = pool(s).open(volume)) {
                image.createSnapshot(snapshot);
            }
            return null;
        });
    }

    @Override
    public void deleteSnapshot(String volume, String snapshot) {
        volume(volume);
        Names.check("snapshot", snapshot);
        cluster.call("deleting snapshot " + volume + "@" + snapshot, s -> {
            try (RbdImage image = pool(s).open(volume)) {
                // a protected snapshot with clones cannot go: librbd answers EBUSY, mapped to ConflictException
                if (image.isProtected(snapshot)) image.unprotect(snapshot);
                image.removeSnapshot(snapshot);
            }
            return null;
        });
    }

    @Override
    public List<String> listSnapshots(String volume) {
        volume(volume);
        return cluster.call("listing snapshots of " + volume, s -> {
            try (RbdImage image = pool(s).openReadOnly(volume)) {
                return image.snapshots();
            }
        });
    }

    /**
     * A copy-on-write clone of {@code volume@snapshot}. The snapshot is protected first (clone format 1
     * needs it, and it works on every cluster whatever its min-compat-client). If the clone fails, the
     * new image is removed and a protection added here is taken back.
     */
    @Override
    public VolumeInfo cloneFromSnapshot(String volume, String snapshot, String newVolume) {
        volume(volume);
        Names.check("snapshot", snapshot);
        Names.check("newVolume", newVolume);
        return cluster.longCall("cloning " + volume + "@" + snapshot, s -> new CloneOperation(pool(s), config).run(volume, snapshot, newVolume));
    }

    /** Copies the parent's data into a clone so that it no longer depends on the parent snapshot. */
    public VolumeInfo flatten(String volume) {
        volume(volume);
        return cluster.longCall("flattening " + volume, s -> {
            try (RbdImage image = pool(s).open(volume)) {
                image.flatten();
            }
            return info(s, volume);
        });
    }

    /**
     * The UUID of the libvirt secret (usage type {@code ceph}) that holds this provider's cephx key:
     * derived from the cluster fsid and the cephx user, so every node of a cluster computes the same one.
     */
    public String secretUuid() {
        return secretUuid(cluster.call("reading the fsid", s -> s.fsid));
    }

    private String secretUuid(String fsid) {
        return UUID.nameUUIDFromBytes(("limiquantix-ceph-secret:" + fsid + ":" + config.entity()).getBytes(StandardCharsets.UTF_8)).toString();
    }

    /**
     * The secret's value for {@code secretUuid} — the decoded cephx key, as a libvirt secret of usage type
     * ceph stores it — or null when the UUID is not this provider's. The caller must not log it.
     */
    public byte[] secretValue(String secretUuid) {
        if (secretUuid == null || !secretUuid.equals(secretUuid())) return null;
        return CephKey.read(config).raw();
    }

    /** {@link #secretValue} as a plain function, for bundles that cannot see this class (see the README). */
    Function<String, byte[]> secretLookup() {
        return this::secretValue;
    }

    <T> T withImage(String volume, boolean readOnly, Function<RbdImage, T> work) {
        return cluster.call("using " + volume, s -> {
            try (RbdImage image = readOnly ? pool(s).openReadOnly(volume) : pool(s).open(volume)) {
                return work.apply(image);
            }
        });
    }

    CephCluster cluster() {
        return cluster;
    }

    private VolumeInfo info(CephSession s, String volume) {
        try (RbdImage image = pool(s).openReadOnly(volume)) {
            RbdImage.Parent parent = image.parent();
            return new VolumeInfo(name(), volume, image.size(), -1, DiskSource.Format.RAW, parent == null ? null : parent.toString());
        }
    }

    private RbdPool pool(CephSession s) {
        return new RbdPool(cluster.libs().rbd, config.name(), config.pool(), s);
    }

    private String where(String volume) {
        return config.pool() + "/" + volume + " (ceph cluster '" + config.name() + "')";
    }

    private static void volume(String volume) {
        Names.check("volume", volume);
    }

    @Override
    public void close() {
        cluster.close();
    }

    @Override
    public String toString() {
        return "RbdVolumeProvider[" + name() + ", pool " + config.pool() + " on " + config.monitors() + " as " + config.entity() + "]";
    }
}
