package io.limiquantix.node.core.internal;

import io.limiquantix.node.api.Feature;
import io.limiquantix.node.api.NotFoundException;
import io.limiquantix.node.api.ProgressListener;
import io.limiquantix.node.api.storage.DiskSource;
import io.limiquantix.node.api.storage.VolumeInfo;
import io.limiquantix.node.api.storage.VolumeProvider;
import io.limiquantix.node.api.storage.VolumeSpec;
import java.util.List;

/** A unit-test double of a VolumeProvider: every volume resolves to an RBD network source. */
final class TestVolumeProvider implements VolumeProvider {
    private final String name;
    private final Feature feature;

    TestVolumeProvider(String name, Feature feature) {
        this.name = name;
        this.feature = feature;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Feature requiredFeature() {
        return feature;
    }

    @Override
    public VolumeInfo create(VolumeSpec spec, ProgressListener progress) {
        throw new UnsupportedOperationException();
    }

    @Override
    public VolumeInfo info(String volume) {
        throw new NotFoundException(volume);
    }

    @Override
    public List<VolumeInfo> list() {
        return List.of();
    }

    @Override
    public VolumeInfo resize(String volume, long newSizeBytes, boolean allowShrink) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void delete(String volume) {
    }

    /** Makes resolve fail as an unreachable cluster or a wrong key does. */
    volatile boolean unreachable;

    @Override
    public DiskSource resolve(String volume) {
        if (unreachable) throw new io.limiquantix.node.api.BackendUnavailableException("cluster unreachable or key refused");
        if (volume.startsWith("missing")) throw new NotFoundException("no volume " + volume);
        return DiskSource.network("rbd", volume, List.of("mon1:6789"), "admin", null);
    }
}
