package io.limiquantix.node.core.internal;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The runtime's settings, read once from framework (or system) properties. A bad value stops the bundle
 * with a message naming the property, rather than running with a guess.
 */
record NodeConfig(Path dataDir, List<Path> storageRoots, Duration backendWait, int operationThreads) {
    static final String DATA = "limiquantix.data";
    static final String STORAGE_ROOTS = "limiquantix.storage.roots";
    static final String BACKEND_WAIT = "limiquantix.backend.wait";
    static final String OPERATION_THREADS = "limiquantix.operation.threads";

    static final String DEFAULT_ROOTS = "/var/lib/limiquantix/images,/var/lib/libvirt/images";

    NodeConfig {
        storageRoots = List.copyOf(storageRoots);
        if (backendWait.isNegative()) throw new IllegalArgumentException(BACKEND_WAIT + " must not be negative");
        if (operationThreads < 1 || operationThreads > 256)
            throw new IllegalArgumentException(OPERATION_THREADS + " must be between 1 and 256 (was " + operationThreads + ")");
    }

    static NodeConfig from(Function<String, String> properties) {
        Path data = Path.of(value(properties, DATA, "data"));
        List<Path> roots = new ArrayList<>();
        for (String root : value(properties, STORAGE_ROOTS, DEFAULT_ROOTS).split(",")) {
            String trimmed = root.trim();
            if (trimmed.isEmpty()) continue;
            Path p = Path.of(trimmed);
            if (!p.isAbsolute())
                throw new IllegalArgumentException(STORAGE_ROOTS + ": '" + trimmed + "' is not an absolute directory");
            roots.add(p.normalize());
        }
        long waitSeconds = number(properties, BACKEND_WAIT, 30);
        long threads = number(properties, OPERATION_THREADS, 8);
        return new NodeConfig(data, roots, Duration.ofSeconds(waitSeconds), (int) Math.min(threads, Integer.MAX_VALUE));
    }

    private static String value(Function<String, String> properties, String key, String fallback) {
        String v = properties.apply(key);
        return v == null || v.isBlank() ? fallback : v.trim();
    }

    private static long number(Function<String, String> properties, String key, long fallback) {
        String v = value(properties, key, Long.toString(fallback));
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a whole number (was '" + v + "')");
        }
    }
}
