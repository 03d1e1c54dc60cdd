package io.limiquantix.node.api;

import java.util.EnumSet;
import java.util.Set;

/**
 * What a backend can do on this host, as probed. {@code capable} is false when the backend cannot run any
 * VM here (its binary is missing, KVM is unusable, ...); {@code notCapableReason} then says why, and
 * placement reports it. {@code pending} marks a not-capable answer that only means "not known yet" (the
 * backend has not connected or probed yet): placement then refuses for now (retryable) instead of for good.
 */
public record HypervisorCapabilities(String backendType, String version, Accelerator accelerator, Set<Feature> features,
                                     int maxVcpus, long maxMemoryMiB, boolean capable, String notCapableReason,
                                     boolean pending) {
    /** A settled answer (not pending): the form before API 1.2. */
    public HypervisorCapabilities(String backendType, String version, Accelerator accelerator, Set<Feature> features,
                                  int maxVcpus, long maxMemoryMiB, boolean capable, String notCapableReason) {
        this(backendType, version, accelerator, features, maxVcpus, maxMemoryMiB, capable, notCapableReason, false);
    }

    public HypervisorCapabilities {
        if (backendType == null || backendType.isBlank()) throw new IllegalArgumentException("backendType is required");
        version = version == null ? "" : version;
        accelerator = accelerator == null ? Accelerator.NONE : accelerator;
        features = features == null || features.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(features));
        if (!capable && (notCapableReason == null || notCapableReason.isBlank()))
            throw new IllegalArgumentException("a backend that is not capable must say why");
        if (capable) {
            notCapableReason = null;
            pending = false;
        }
    }

    public boolean has(Feature f) {
        return features.contains(f);
    }

    public static HypervisorCapabilities notCapable(String backendType, String reason) {
        return new HypervisorCapabilities(backendType, null, Accelerator.NONE, Set.of(), 0, 0, false, reason);
    }

    /**
     * Not capable for now only: the backend cannot tell yet (not connected, not probed).
     *
     * @since 1.2
     */
    public static HypervisorCapabilities notYetKnown(String backendType, String reason) {
        return new HypervisorCapabilities(backendType, null, Accelerator.NONE, Set.of(), 0, 0, false, reason, true);
    }
}
