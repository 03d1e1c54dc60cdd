package io.limiquantix.node.rpc.internal;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * Where and how the API listens. Each setting comes from the ConfigAdmin configuration
 * {@value #PID} when it has it, else from the framework property {@code limiquantix.rpc.<name>}, else the
 * default. A bad value refuses the whole configuration with a message naming the setting: a node must not
 * quietly listen somewhere other than where it was told.
 *
 * <p>The bearer token alone, over plaintext, on a network would hand the node to anyone on the path; so a
 * non-loopback address is refused unless mutual TLS is configured (server certificate, key and the CA that
 * client certificates must chain to).
 */
record RpcConfig(InetAddress bind, int port, Path tokenFile, Path tlsCert, Path tlsKey, Path tlsClientCa,
                 int maxMessageBytes) {
    static final String PID = "io.limiquantix.node.rpc";
    static final String PREFIX = "limiquantix.rpc.";
    static final int DEFAULT_PORT = 9460;
    /** Large enough that an absurd field (a 10 MB name) is answered INVALID_ARGUMENT naming it, still bounded. */
    static final int DEFAULT_MAX_MESSAGE_BYTES = 16 << 20;

    RpcConfig {
        if (port < 0 || port > 65535) throw new IllegalArgumentException("port must be between 0 and 65535 (was " + port + ")");
        boolean anyTls = tlsCert != null || tlsKey != null || tlsClientCa != null;
        if (anyTls && (tlsCert == null || tlsKey == null || tlsClientCa == null))
            throw new IllegalArgumentException("tlsCert, tlsKey and tlsClientCa go together: the node speaks TLS only with "
                + "client certificates (mutual TLS)");
        if (!bind.isLoopbackAddress() && !anyTls)
            throw new IllegalArgumentException("bind " + bind.getHostAddress() + " is not a loopback address: the node only listens "
                + "beyond loopback with mutual TLS (set tlsCert, tlsKey and tlsClientCa), because a bearer token over "
                + "plaintext on a network can be read and replayed by anyone on the path");
        if (maxMessageBytes < 64 << 10 || maxMessageBytes > 256 << 20)
            throw new IllegalArgumentException("maxMessageBytes must be between 65536 and 268435456 (was " + maxMessageBytes + ")");
    }

    boolean mutualTls() {
        return tlsCert != null;
    }

    /**
     * @param configured the ConfigAdmin properties (null-returning when absent)
     * @param framework framework properties
     */
    static RpcConfig from(Function<String, Object> configured, Function<String, String> framework) {
        Function<String, String> value = key -> {
            Object v = configured.apply(key);
            if (v == null) v = framework.apply(PREFIX + key);
            String s = v == null ? null : v.toString().trim();
            return s == null || s.isEmpty() ? null : s;
        };
        String data = framework.apply("limiquantix.data");
        Path dataDir = Path.of(data == null || data.isBlank() ? "data" : data.trim());
        return new RpcConfig(address(value.apply("bind")), integer(value, "port", DEFAULT_PORT),
            path(value, "tokenFile", dataDir.resolve("rpc-token")), path(value, "tlsCert", null),
            path(value, "tlsKey", null), path(value, "tlsClientCa", null),
            integer(value, "maxMessageBytes", DEFAULT_MAX_MESSAGE_BYTES));
    }

    private static InetAddress address(String bind) {
        try {
            return bind == null ? InetAddress.getLoopbackAddress() : InetAddress.getByName(bind);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("bind '" + bind + "' is neither an IP address nor a resolvable host name");
        }
    }

    private static int integer(Function<String, String> value, String key, int fallback) {
        String v = value.apply(key);
        if (v == null) return fallback;
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a whole number (was '" + v + "')");
        }
    }

    private static Path path(Function<String, String> value, String key, Path fallback) {
        String v = value.apply(key);
        return v == null ? fallback : Path.of(v).toAbsolutePath();
    }
}
