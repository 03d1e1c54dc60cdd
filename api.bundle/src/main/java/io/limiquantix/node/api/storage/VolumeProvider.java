package io.limiquantix.node.api.storage;

import io.limiquantix.node.api.Feature;
import io.limiquantix.node.api.ProgressListener;
import io.limiquantix.node.api.UnsupportedFeatureException;
import java.util.List;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * The storage extension point: a service that creates and manages volumes and tells backends how to attach
 * them. Registered with the service property {@link #PROP_NAME}; a VM spec refers to a volume as
 * {@code DiskSource.volume(providerName, volume)}. Snapshot and clone operations are optional.
 */
@ConsumerType
public interface VolumeProvider {
    String PROP_NAME = "limiquantix.volume.provider";

    /** The provider's name, as used in {@link DiskSource#provider()}. */
    String name();

    /** The backend feature a VM needs to attach this provider's volumes (e.g. {@link Feature#RBD_DISK}). */
    Feature requiredFeature();

    VolumeInfo create(VolumeSpec spec, ProgressListener progress);

    VolumeInfo info(String volume);

    List<VolumeInfo> list();

    /** Grows the volume; shrinking needs {@code allowShrink}. */
    VolumeInfo resize(String volume, long newSizeBytes, boolean allowShrink);

    /** Deletes the volume; refused with a ConflictException while a VM uses it. */
    void delete(String volume);

    /** The backend-neutral source a backend attaches (FILE, BLOCK or NETWORK, never VOLUME). */
    DiskSource resolve(String volume);

    default void createSnapshot(String volume, String snapshot) {
        throw new UnsupportedFeatureException(null, "volume provider " + name() + " has no snapshots");
    }

    default void deleteSnapshot(String volume, String snapshot) {
        throw new UnsupportedFeatureException(null, "volume provider " + name() + " has no snapshots");
    }

    default List<String> listSnapshots(String volume) {
        throw new UnsupportedFeatureException(null, "volume provider " + name() + " has no snapshots");
    }

    default VolumeInfo cloneFromSnapshot(String volume, String snapshot, String newVolume) {
        throw new UnsupportedFeatureException(null, "volume provider " + name() + " cannot clone");
    }
}
