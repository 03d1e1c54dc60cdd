package io.limiquantix.node.api.storage;

/** A volume as its provider reports it. {@code allocatedBytes} is -1 when unknown. */
public record VolumeInfo(String provider, String name, long sizeBytes, long allocatedBytes, DiskSource.Format format,
                         String parent) {
}
