package io.limiquantix.node.ceph.internal;

import io.limiquantix.node.api.ConflictException;
import io.limiquantix.node.api.HypervisorException;
import io.limiquantix.node.api.NotFoundException;
import io.limiquantix.node.api.storage.DiskSource;
import io.limiquantix.node.api.storage.VolumeInfo;
import java.lang.System.Logger.Level;

/**
 * One clone, all or nothing: protect the parent snapshot if needed, clone, and on failure remove the
 * clone and take back the protection this operation added. A clone that fails because the name is taken
 * leaves the existing image alone: it is not ours.
 */
final class CloneOperation {
    private static final System.Logger LOG = System.getLogger(CloneOperation.class.getName());
    private final RbdPool pool;
    private final CephConfig config;

    CloneOperation(RbdPool pool, CephConfig config) {
        this.pool = pool;
        this.config = config;
    }

    VolumeInfo run(String volume, String snapshot, String newVolume) {
        try (RbdImage parent = pool.open(volume)) {
            if (!parent.snapshots().contains(snapshot))
                throw new NotFoundException("snapshot " + config.pool() + "/" + volume + "@" + snapshot + " does not exist");
            boolean protectedHere = false;
            if (!parent.isProtected(snapshot)) {
                parent.protect(snapshot);
                protectedHere = true;
            }
            try {
                pool.clone(volume, snapshot, newVolume, RbdFeatures.DEFAULT);
                long size;
                try (RbdImage child = pool.openReadOnly(newVolume)) {
                    size = child.size();
                }
                return new VolumeInfo(config.providerName(), newVolume, size, -1, DiskSource.Format.RAW,
                    config.pool() + "/" + volume + "@" + snapshot);
            } catch (RuntimeException e) {
                if (!(e instanceof ConflictException)) removeQuietly(newVolume, e);
                if (protectedHere) unprotectQuietly(parent, snapshot, e);
                throw e;
            }
        }
    }

    private void removeQuietly(String image, RuntimeException cause) {
        try {
            pool.remove(image);
            LOG.log(Level.INFO, "removed partial clone {0}/{1} after: {2}", config.pool(), image, cause.getMessage());
        } catch (NotFoundException e) {
            // librbd cleaned up itself, or never got that far
        } catch (HypervisorException e) {
            cause.addSuppressed(e);
        }
    }

    private static void unprotectQuietly(RbdImage parent, String snapshot, RuntimeException cause) {
        try {
            parent.unprotect(snapshot);
        } catch (HypervisorException e) {
            // EBUSY: another clone appeared meanwhile and needs the protection
            cause.addSuppressed(e);
        }
    }
}
