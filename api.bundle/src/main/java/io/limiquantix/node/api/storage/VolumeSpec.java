package io.limiquantix.node.api.storage;

import io.limiquantix.node.api.InvalidArgumentException;
import io.limiquantix.node.api.internal.Checks;
import java.util.Map;

/** A volume to create: its name inside the provider, size, format and provider-specific options. */
public record VolumeSpec(String name, long sizeBytes, DiskSource.Format format, Map<String, String> options) {
    public static final long MAX_BYTES = 1L << 50;

    public VolumeSpec {
        Checks.name("name", name);
        if (sizeBytes < 1 || sizeBytes > MAX_BYTES)
            throw new InvalidArgumentException("sizeBytes", "must be between 1 and " + MAX_BYTES);
        format = format == null ? DiskSource.Format.RAW : format;
        options = Checks.labels("options", options);
    }
}
