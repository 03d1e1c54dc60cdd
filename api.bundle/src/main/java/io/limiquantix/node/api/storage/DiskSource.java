package io.limiquantix.node.api.storage;

import io.limiquantix.node.api.InvalidArgumentException;
import io.limiquantix.node.api.internal.Checks;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Where a disk's bytes live, in terms every backend understands. A caller names a local file or block
 * device, or a {@link Kind#VOLUME} of a {@link VolumeProvider}; the node resolves volumes into FILE, BLOCK
 * or NETWORK sources before a backend sees them. Secrets travel by reference ({@code secretUuid}), never
 * by value.
 */
public record DiskSource(Kind kind, String path, Format format, String provider, String volume,
                         String protocol, List<String> hosts, String authUser, String secretUuid) {
    private static final Pattern VOLUME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*){0,2}(@[A-Za-z0-9][A-Za-z0-9._-]*)?");
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9.-]{1,253}:[0-9]{1,5}|\\[[0-9a-fA-F:]{2,39}\\]:[0-9]{1,5}");
    public static final Pattern UUID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    public enum Kind { FILE, BLOCK, VOLUME, NETWORK }

    public enum Format { RAW, QCOW2 }

    public DiskSource {
        Checks.notNull("kind", kind);
        format = format == null ? Format.RAW : format;
        hosts = Checks.list("hosts", hosts, 16);
        switch (kind) {
            case FILE, BLOCK -> {
                Checks.path("path", path);
                none(provider, volume, protocol, authUser, secretUuid);
                if (!hosts.isEmpty()) throw new InvalidArgumentException("hosts", "is only allowed for NETWORK sources");
            }
            case VOLUME -> {
                if (path != null) throw new InvalidArgumentException("path", "is not allowed for VOLUME sources");
                Checks.name("provider", provider);
                volume(volume);
                if (protocol != null || authUser != null || secretUuid != null || !hosts.isEmpty())
                    throw new InvalidArgumentException("protocol", "is not allowed for VOLUME sources");
            }
            case NETWORK -> {
                if (path != null) throw new InvalidArgumentException("path", "is not allowed for NETWORK sources");
                // Found by HostileMessagesTest: provider was neither used nor checked here, so markup passed through.
                if (provider != null) throw new InvalidArgumentException("provider", "is only allowed for VOLUME sources");
                Checks.name("protocol", protocol);
                volume(volume);
                if (hosts.isEmpty()) throw new InvalidArgumentException("hosts", "at least one host:port is required");
                for (int i = 0; i < hosts.size(); i++)
                    if (!HOST.matcher(hosts.get(i)).matches())
                        throw new InvalidArgumentException("hosts[" + i + "]", "must be host:port");
                Checks.optionalName("authUser", authUser);
                if (secretUuid != null && !UUID.matcher(secretUuid).matches())
                    throw new InvalidArgumentException("secretUuid", "must be a lower-case UUID");
            }
        }
    }

    private static void volume(String volume) {
        Checks.notNull("volume", volume);
        if (volume.length() > 256 || !VOLUME.matcher(volume).matches())
            throw new InvalidArgumentException("volume", "must be [pool/]name[@snapshot] of ASCII letters, digits, '.', '_', '-'");
    }

    private static void none(String provider, String volume, String protocol, String authUser, String secretUuid) {
        if (provider != null) throw new InvalidArgumentException("provider", "is only allowed for VOLUME sources");
        if (volume != null) throw new InvalidArgumentException("volume", "is not allowed for FILE and BLOCK sources");
        if (protocol != null || authUser != null || secretUuid != null)
            throw new InvalidArgumentException("protocol", "is only allowed for NETWORK sources");
    }

    public static DiskSource file(String path, Format format) {
        return new DiskSource(Kind.FILE, path, format, null, null, null, List.of(), null, null);
    }

    public static DiskSource volume(String provider, String volume) {
        return new DiskSource(Kind.VOLUME, null, null, provider, volume, null, List.of(), null, null);
    }

    public static DiskSource network(String protocol, String volume, List<String> hosts, String authUser, String secretUuid) {
        return new DiskSource(Kind.NETWORK, null, Format.RAW, null, volume, protocol, hosts, authUser, secretUuid);
    }
}
