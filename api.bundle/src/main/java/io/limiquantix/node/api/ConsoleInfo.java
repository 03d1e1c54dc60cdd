package io.limiquantix.node.api;

/**
 * How to reach a VM's consoles. {@code password} is the graphical console's per-VM password (null when it
 * has none); {@code serialLog} the file the serial console is written to (null when none).
 */
public record ConsoleInfo(GraphicsSpec.Type type, String host, int port, String password, String serialLog) {
    /** Without the password, so that logging a ConsoleInfo never leaks it. */
    @Override
    public String toString() {
        return "ConsoleInfo[type=" + type + ", host=" + host + ", port=" + port + ", password="
            + (password == null ? "none" : "(hidden)") + ", serialLog=" + serialLog + "]";
    }
}
