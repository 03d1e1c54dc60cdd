package io.limiquantix.node.runtime;

import io.limiquantix.node.api.Feature;
import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * Where a VM goes and why. {@code chosen} is null when no backend qualifies; {@code reason} then says why.
 * Every backend considered appears in {@code candidates}, with the reason it was passed over.
 */
public record PlacementDecision(String vmName, Set<Feature> required, String pinned, String chosen, String reason,
                                List<Candidate> candidates, Instant at) {
    public record Candidate(String backend, int ranking, boolean eligible, String reason) {
    }

    public boolean placed() {
        return chosen != null;
    }
}
