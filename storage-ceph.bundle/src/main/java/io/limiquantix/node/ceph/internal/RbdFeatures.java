package io.limiquantix.node.ceph.internal;

import io.limiquantix.node.api.InvalidArgumentException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * RBD image features by the names the {@code rbd} CLI uses. The default is what a VM disk wants: clones
 * (layering), one writer at a time (exclusive-lock), quick size and diff accounting (object-map,
 * fast-diff), and snapshots that survive a flatten (deep-flatten).
 */
final class RbdFeatures {
    static final String OPTION = "features";
    private static final Map<String, Long> BY_NAME = new LinkedHashMap<>();

    static {
        BY_NAME.put("layering", Rbd.FEATURE_LAYERING);
        BY_NAME.put("exclusive-lock", Rbd.FEATURE_EXCLUSIVE_LOCK);
        BY_NAME.put("object-map", Rbd.FEATURE_OBJECT_MAP);
        BY_NAME.put("fast-diff", Rbd.FEATURE_FAST_DIFF);
        BY_NAME.put("deep-flatten", Rbd.FEATURE_DEEP_FLATTEN);
    }

    static final long DEFAULT = BY_NAME.values().stream().mapToLong(Long::longValue).reduce(0, (a, b) -> a | b);

    private RbdFeatures() {}

    /** Parses {@code options[features]}, a comma list of feature names; absent means {@link #DEFAULT}. */
    static long parse(Map<String, String> options) {
        String value = options.get(OPTION);
        if (value == null) return DEFAULT;
        long bits = 0;
        for (String raw : value.split(",")) {
            String name = raw.trim();
            if (name.isEmpty()) continue;
            Long bit = BY_NAME.get(name);
            if (bit == null) throw new InvalidArgumentException("options[" + OPTION + "]", "unknown feature '" + name + "' (known: " + String.join(", ", BY_NAME.keySet()) + ")");
            bits |= bit;
        }
        // librbd would refuse these with a bare EINVAL; say which dependency is missing instead
        if ((bits & Rbd.FEATURE_OBJECT_MAP) != 0 && (bits & Rbd.FEATURE_EXCLUSIVE_LOCK) == 0)
            throw new InvalidArgumentException("options[" + OPTION + "]", "object-map needs exclusive-lock");
        if ((bits & Rbd.FEATURE_FAST_DIFF) != 0 && (bits & Rbd.FEATURE_OBJECT_MAP) == 0)
            throw new InvalidArgumentException("options[" + OPTION + "]", "fast-diff needs object-map");
        return bits;
    }
}
