package io.limiquantix.node.api;

import java.util.regex.Pattern;

/**
 * A graphical console. It listens on loopback unless told otherwise; the node's console proxy is the way
 * in from outside. The backend generates a per-VM password.
 */
public record GraphicsSpec(Type type, String listen) {
    private static final Pattern IPV4 = Pattern.compile("((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)");
    private static final Pattern IPV6 = Pattern.compile("[0-9a-fA-F:]{2,39}");

    public enum Type { NONE, VNC, SPICE }

    public GraphicsSpec {
        type = type == null ? Type.NONE : type;
        listen = listen == null ? "127.0.0.1" : listen;
        if (!IPV4.matcher(listen).matches() && !(listen.contains(":") && IPV6.matcher(listen).matches()))
            throw new InvalidArgumentException("listen", "must be an IPv4 or IPv6 address literal");
    }

    public static GraphicsSpec none() {
        return new GraphicsSpec(Type.NONE, null);
    }

    public static GraphicsSpec vnc() {
        return new GraphicsSpec(Type.VNC, null);
    }
}
