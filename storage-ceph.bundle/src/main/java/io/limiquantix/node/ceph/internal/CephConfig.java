package io.limiquantix.node.ceph.internal;

import io.limiquantix.node.api.InvalidArgumentException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * One cluster's settings, from a ConfigAdmin factory configuration ({@value #FACTORY_PID}). Holds paths,
 * never key material. A bad value is refused with an InvalidArgumentException whose field is the
 * configuration property, so an operator can fix the right line of the .cfg file.
 */
record CephConfig(String name, List<String> monitors, String pool, String user, Path keyring, Path keyFile,
                  Duration connectTimeout, Duration opTimeout, Duration longOpTimeout) {
    static final String FACTORY_PID = "io.limiquantix.node.ceph";
    static final String NAME = "name", MONITORS = "monitors", POOL = "pool", USER = "user", KEYRING = "keyring",
        KEY_FILE = "keyFile", CONNECT_TIMEOUT = "connectTimeoutSeconds", OP_TIMEOUT = "opTimeoutSeconds",
        LONG_OP_TIMEOUT = "longOpTimeoutSeconds";
    /** The cluster whose provider is plainly {@code rbd}; any other is {@code rbd-<name>}. */
    static final String DEFAULT_CLUSTER = "ceph";
    private static final Pattern MONITOR = Pattern.compile("[A-Za-z0-9.-]{1,253}:[0-9]{1,5}|\\[[0-9a-fA-F:]{2,39}\\]:[0-9]{1,5}");

    CephConfig {
        Names.check(NAME, name);
        if (monitors.isEmpty()) throw new InvalidArgumentException(MONITORS, "at least one host:port is required");
        for (String m : monitors) {
            if (!MONITOR.matcher(m).matches()) throw new InvalidArgumentException(MONITORS, "'" + m + "' is not host:port");
            int port = Integer.parseInt(m.substring(m.lastIndexOf(':') + 1));
            if (port < 1 || port > 65535) throw new InvalidArgumentException(MONITORS, "port of '" + m + "' is out of range");
        }
        monitors = List.copyOf(monitors);
        Names.check(POOL, pool);
        Names.check(USER, user);
        if ((keyring == null) == (keyFile == null))
            throw new InvalidArgumentException(KEYRING, "exactly one of " + KEYRING + " and " + KEY_FILE + " is required");
        if (keyring != null && !keyring.isAbsolute()) throw new InvalidArgumentException(KEYRING, "must be an absolute path");
        if (keyFile != null && !keyFile.isAbsolute()) throw new InvalidArgumentException(KEY_FILE, "must be an absolute path");
    }

    /** The VolumeProvider name: {@code rbd} for the cluster named {@code ceph}, {@code rbd-<name>} otherwise. */
    String providerName() {
        return DEFAULT_CLUSTER.equals(name) ? "rbd" : "rbd-" + name;
    }

    /** The cephx entity, as librados wants it. */
    String entity() {
        return "client." + user;
    }

    static CephConfig from(Map<String, ?> props) {
        return new CephConfig(
            string(props, NAME, DEFAULT_CLUSTER),
            monitors(props.get(MONITORS)),
            string(props, POOL, "rbd"),
            string(props, USER, "admin"),
            path(props, KEYRING),
            path(props, KEY_FILE),
            seconds(props, CONNECT_TIMEOUT, 10, 1, 300),
            seconds(props, OP_TIMEOUT, 30, 1, 3600),
            seconds(props, LONG_OP_TIMEOUT, 3600, 10, 7 * 24 * 3600));
    }

    private static String string(Map<String, ?> props, String key, String fallback) {
        Object v = props.get(key);
        if (v == null || v.toString().isBlank()) return fallback;
        return v.toString().trim();
    }

    private static Path path(Map<String, ?> props, String key) {
        String v = string(props, key, null);
        return v == null ? null : Path.of(v);
    }

    private static List<String> monitors(Object value) {
        List<String> raw = new ArrayList<>();
        if (value instanceof String s) raw.addAll(Arrays.asList(s.split(",")));
        else if (value instanceof String[] a) for (String s : a) raw.addAll(Arrays.asList(s.split(",")));
        else if (value instanceof Collection<?> c) for (Object o : c) raw.addAll(Arrays.asList(String.valueOf(o).split(",")));
        else if (value != null) throw new InvalidArgumentException(MONITORS, "must be a comma-separated list of host:port");
        return raw.stream().map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    private static Duration seconds(Map<String, ?> props, String key, long fallback, long min, long max) {
        Object v = props.get(key);
        long s;
        if (v == null || v.toString().isBlank()) s = fallback;
        else if (v instanceof Number n) s = n.longValue();
        else try {
            s = Long.parseLong(v.toString().trim());
        } catch (NumberFormatException e) {
            throw new InvalidArgumentException(key, "must be a whole number of seconds (was '" + v + "')");
        }
        Names.range(key, s, min, max);
        return Duration.ofSeconds(s);
    }
}
