package io.limiquantix.node.gpu.internal;

import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Function;

/**
 * The provider's settings, read once from framework (or system) properties. A bad value stops the bundle
 * with a message naming the property rather than running against a guessed path.
 */
record GpuConfig(Path sysfsRoot, Path dataDir, Duration probeWait) {
    static final String SYSFS = "limiquantix.gpu.sysfs";
    static final String DATA = "limiquantix.data";
    static final String PROBE_WAIT = "limiquantix.gpu.probe.wait";

    static GpuConfig from(Function<String, String> properties) {
        Path sysfs = Path.of(value(properties, SYSFS, "/sys"));
        if (!sysfs.isAbsolute()) throw new IllegalArgumentException(SYSFS + " must be an absolute path (was " + sysfs + ")");
        String wait = value(properties, PROBE_WAIT, "5");
        long seconds;
        try {
            seconds = Long.parseLong(wait);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(PROBE_WAIT + " must be a whole number of seconds (was '" + wait + "')", e);
        }
        if (seconds < 0 || seconds > 600) throw new IllegalArgumentException(PROBE_WAIT + " must be between 0 and 600 seconds (was " + seconds + ")");
        return new GpuConfig(sysfs, Path.of(value(properties, DATA, "data")), Duration.ofSeconds(seconds));
    }

    private static String value(Function<String, String> properties, String key, String fallback) {
        String v = properties.apply(key);
        return v == null || v.isBlank() ? fallback : v.trim();
    }
}
