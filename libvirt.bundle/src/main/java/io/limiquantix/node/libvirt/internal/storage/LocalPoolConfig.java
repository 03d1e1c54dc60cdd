package io.limiquantix.node.libvirt.internal.storage;

import io.limiquantix.node.api.InvalidArgumentException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The {@code local} volume provider's configuration (ConfigAdmin PID {@value #PID}): which libvirt connection,
 * which directory storage pool, where its directory is. Every value is checked here; a bad one is refused with
 * the property's name.
 *
 * @param providerName the provider's name in {@code DiskSource.volume(provider, volume)} ({@code local})
 * @param uri the libvirt connection that owns the pool (a local one: the pool's files must be on this host)
 * @param pool the libvirt storage pool's name
 * @param path the pool's directory: absolute, normalized, inside one of the node's storage roots
 */
public record LocalPoolConfig(String providerName, String uri, String pool, Path path) {
    public static final String PID = "io.limiquantix.node.libvirt.local";
    public static final String DEFAULT_NAME = "local";
    public static final String DEFAULT_URI = "qemu:///system";
    public static final String DEFAULT_POOL = "limiquantix-local";
    public static final String DEFAULT_PATH = "/var/lib/limiquantix/images/local";
    /** The node's storage roots (framework property, as core reads it). */
    public static final String ROOTS_PROPERTY = "limiquantix.storage.roots";
    public static final String DEFAULT_ROOTS = "/var/lib/limiquantix/images,/var/lib/libvirt/images";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    /**
     * @param props the configuration's properties ({@code name}, {@code uri}, {@code pool}, {@code path}); absent
     *              ones take the defaults
     * @param roots the node's storage roots ({@value #ROOTS_PROPERTY})
     */
    public static LocalPoolConfig from(Map<String, ?> props, List<Path> roots) {
        String name = string(props, "name", DEFAULT_NAME);
        if (!NAME.matcher(name).matches())
            throw new InvalidArgumentException("name", "must be 1 to 64 ASCII letters, digits, '.', '_' or '-', starting with a letter or digit");
        String uri = string(props, "uri", DEFAULT_URI);
        if (!uri.matches("[a-z0-9+]+:///[A-Za-z0-9/_.-]*(\\?[^\\s]*)?"))
            throw new InvalidArgumentException("uri", "must be a local libvirt URI such as qemu:///system (the pool's files must be on this host)");
        String pool = string(props, "pool", DEFAULT_POOL);
        if (!NAME.matcher(pool).matches())
            throw new InvalidArgumentException("pool", "must be 1 to 64 ASCII letters, digits, '.', '_' or '-', starting with a letter or digit");
        String raw = string(props, "path", DEFAULT_PATH);
        return new LocalPoolConfig(name, uri, pool, checkPath(raw, roots));
    }

    static Path checkPath(String raw, List<Path> roots) {
        Path p;
        try {
            p = Path.of(raw);
        } catch (RuntimeException e) {
            throw new InvalidArgumentException("path", "is not a path: " + e.getMessage());
        }
        if (!p.isAbsolute()) throw new InvalidArgumentException("path", "must be absolute (was " + raw + ")");
        for (Path part : p) if (part.toString().equals("..") || part.toString().equals("."))
            throw new InvalidArgumentException("path", "must not contain '.' or '..' (was " + raw + ")");
        Path n = p.normalize();
        for (Path root : roots) {
            Path r = root.normalize();
            if (n.startsWith(r) && !n.equals(r)) return n;
        }
        throw new InvalidArgumentException("path", raw + " is not inside the node's storage roots " + roots
            + " (framework property " + ROOTS_PROPERTY + ")");
    }

    /** The storage roots from the framework property's value (null: the default). */
    public static List<Path> roots(String property) {
        String v = property == null || property.isBlank() ? DEFAULT_ROOTS : property;
        List<Path> out = new ArrayList<>();
        for (String s : v.split(",")) if (!s.isBlank()) out.add(Path.of(s.strip()).normalize());
        return out;
    }

    private static String string(Map<String, ?> props, String key, String dflt) {
        Object v = props == null ? null : props.get(key);
        if (v == null) return dflt;
        String s = v.toString().strip();
        if (s.isEmpty()) throw new InvalidArgumentException(key, "must not be empty");
        return s;
    }
}
