package io.limiquantix.node.rpc.internal;

import io.limiquantix.node.api.ConflictException;
import io.limiquantix.node.api.ConsoleInfo;
import io.limiquantix.node.api.GraphicsSpec;
import io.limiquantix.node.runtime.NodeService;
import io.limiquantix.node.runtime.VmRecord;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The console proxy's state outside any web server: the tickets, how a ticket is issued for a VM (it must have
 * a graphical console and be running), and where a redeemed ticket's bytes go (the VM's VNC or SPICE port, asked
 * for again at connect time, so a VM restarted in between is still found). Shared by the gRPC/JSON endpoint
 * ({@code CreateConsoleSession}) and the WebSocket servlet.
 */
final class ConsoleProxy {
    /** The servlet's path; the WebSocket is {@value #WS_PATH}{@code ?token=...}. */
    static final String PREFIX = "/limiquantix/console";
    static final String WS_PATH = PREFIX + "/ws";
    /** The largest frame a client may send (its input events are a few bytes each). */
    static final int MAX_CLIENT_FRAME = 64 * 1024;
    /** Console sessions open at once; more are refused (HTTP 503) before anything is proxied. */
    static final int MAX_OPEN = 64;

    private final Supplier<NodeService> node;
    private final ConsoleTickets tickets;
    private final AtomicInteger open = new AtomicInteger();
    /** The sessions past their 101, so that withdrawing the proxy (bundle stop, configuration change) ends them. */
    private final java.util.Set<AutoCloseable> sessions = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    ConsoleProxy(Supplier<NodeService> node, ConsoleTickets tickets) {
        this.node = node;
        this.tickets = tickets;
    }

    /**
     * Whether the HTTP service is Jetty 12 with its ee10 servlets wired to this bundle (optional imports): the
     * WebSocket upgrade uses Jetty's connection replacement, the servlet API's {@code upgrade} being unimplemented.
     */
    static boolean jettyWired() {
        try {
            ClassLoader l = ConsoleProxy.class.getClassLoader();
            Class.forName("org.eclipse.jetty.server.HttpStream", false, l);
            Class.forName("org.eclipse.jetty.ee10.servlet.ServletContextRequest", false, l);
            Class.forName("org.eclipse.jetty.io.AbstractConnection", false, l);
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    ConsoleTickets tickets() {
        return tickets;
    }

    /** A session for a VM (id or name): it must have a graphical console and be running. */
    record Session(ConsoleTickets.Issued ticket, GraphicsSpec.Type type, String path) {
        @Override
        public String toString() {
            return "Session[" + ticket + ", type=" + type + "]";
        }
    }

    static Session issue(NodeService n, ConsoleTickets tickets, String vm) {
        VmRecord r = n.getVm(vm);
        ConsoleInfo c = n.consoleInfo(r.id());
        if (c.type() == null || c.type() == GraphicsSpec.Type.NONE)
            throw new ConflictException("VM " + r.id() + " has no graphical console (its spec's graphics.type is NONE)");
        if (c.port() <= 0) throw new ConflictException("VM " + r.id() + " is not running: its console has no port yet");
        ConsoleTickets.Issued t = tickets.issue(r.id());
        return new Session(t, c.type(), WS_PATH + "?token=" + t.token());
    }

    /** Where the VM's graphical console listens now; a wildcard listen address is reached on loopback. */
    InetSocketAddress target(String vmId) throws UnknownHostException {
        ConsoleInfo c = node.get().consoleInfo(vmId);
        if (c.type() == null || c.type() == GraphicsSpec.Type.NONE || c.port() <= 0)
            throw new ConflictException("VM " + vmId + " has no graphical console listening (not running?)");
        String host = c.host() == null ? "127.0.0.1" : c.host();
        InetAddress address = InetAddress.getByName(literal(host)); // literals only: GraphicsSpec.listen is one
        if (address.isAnyLocalAddress())
            address = address instanceof java.net.Inet6Address ? InetAddress.getByName("::1") : InetAddress.getByName("127.0.0.1");
        return new InetSocketAddress(address, c.port());
    }

    private static String literal(String host) {
        if (!host.chars().allMatch(ch -> Character.digit(ch, 16) >= 0 || ch == '.' || ch == ':' || ch == '[' || ch == ']'))
            throw new ConflictException("the console listens on '" + host + "', which is not an address literal");
        return host;
    }

    String redeem(String token) {
        return tickets.redeem(token);
    }

    boolean acquire() {
        if (open.incrementAndGet() <= MAX_OPEN) return true;
        open.decrementAndGet();
        return false;
    }

    void release() {
        open.decrementAndGet();
    }

    /** A session that is now open; closed at once if the proxy was withdrawn meanwhile. */
    void opened(AutoCloseable session) {
        sessions.add(session);
        if (closed) closeQuietly(session);
    }

    void ended(AutoCloseable session) {
        sessions.remove(session);
    }

    /** Ends every open session (their clients get close code 1001, going away) and refuses new ones. */
    void closeAll() {
        closed = true;
        for (AutoCloseable s : sessions) closeQuietly(s);
    }

    boolean withdrawn() {
        return closed;
    }

    private static void closeQuietly(AutoCloseable s) {
        try {
            s.close();
        } catch (Exception e) {
            // it is ending anyway
        }
    }

    int open() {
        return open.get();
    }
}
