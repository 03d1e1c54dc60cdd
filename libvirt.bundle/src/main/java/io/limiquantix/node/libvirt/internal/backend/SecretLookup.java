package io.limiquantix.node.libvirt.internal.backend;

/**
 * Where the backend gets a cephx key for a libvirt secret UUID: the storage bundles' lookup services
 * (see {@code CephSecrets}). Returns the decoded key bytes, or null when no source knows the UUID. The
 * caller owns the returned array and clears it after use.
 */
@FunctionalInterface
public interface SecretLookup {
    SecretLookup NONE = uuid -> null;

    byte[] cephKey(String secretUuid);
}
