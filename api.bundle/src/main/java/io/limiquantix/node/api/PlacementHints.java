package io.limiquantix.node.api;

import io.limiquantix.node.api.internal.Checks;

/**
 * What the VM asks of placement beyond its devices: a pinned backend (honoured or refused with a reason),
 * the performance profile, and whether it must be live-migratable.
 */
public record PlacementHints(String backend, boolean performance, boolean liveMigratable) {
    public PlacementHints {
        Checks.optionalName("backend", backend);
    }

    public static PlacementHints none() {
        return new PlacementHints(null, false, false);
    }
}
