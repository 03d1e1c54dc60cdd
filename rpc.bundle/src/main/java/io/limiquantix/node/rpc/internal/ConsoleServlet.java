package io.limiquantix.node.rpc.internal;

import io.limiquantix.node.api.HypervisorException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * {@code GET /limiquantix/console/ws?token=<ticket>} with a WebSocket handshake: checks, in this order, the
 * transport (plain HTTP only when received on loopback, else HTTPS), the handshake (400), the ticket (403 when
 * unknown, used or expired; spent by this request whatever follows), the number of open sessions (503) and the
 * VM's console port (502 when it cannot be reached) — all before answering 101, so a refused request never
 * reaches the VM. Then the connection is handed to {@link JettyConsoleConnection}, which relays WebSocket
 * binary frames to and from the console's TCP port. The token is never logged.
 */
final class ConsoleServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    private static final System.Logger LOG = System.getLogger(ConsoleServlet.class.getName());
    static final int CONNECT_TIMEOUT_MS = 5000;

    private final transient ConsoleProxy proxy;

    private ConsoleServlet(ConsoleProxy proxy) {
        this.proxy = proxy;
    }

    /** Typed Object so that callers need not load the servlet API unless it is there. */
    static Object create(ConsoleProxy proxy) {
        return new ConsoleServlet(proxy);
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        response.setHeader("Cache-Control", "no-store");
        if (!JsonServlet.loopback(request.getLocalAddr()) && !request.isSecure()) {
            plain(response, 403, "the console is served over plain HTTP on loopback only; use HTTPS (wss://)");
            return;
        }
        if (!"/ws".equals(request.getPathInfo())) {
            plain(response, 404, "no such console resource; open " + ConsoleProxy.WS_PATH + "?token=<ticket from CreateConsoleSession>");
            return;
        }
        WebSocketProtocol.Handshake h = WebSocketProtocol.handshake(request.getMethod(), request.getHeader("Upgrade"),
            request.getHeader("Connection"), request.getHeader("Sec-WebSocket-Version"), request.getHeader("Sec-WebSocket-Key"),
            request.getHeader("Sec-WebSocket-Protocol"));
        if (!h.ok()) {
            if ("GET".equals(request.getMethod())) response.setHeader("Sec-WebSocket-Version", "13");
            else response.setHeader("Allow", "GET");
            plain(response, "GET".equals(request.getMethod()) ? 400 : 405, "not a WebSocket handshake: " + h.refusal());
            return;
        }
        if (!JettyConsoleConnection.http11(request)) {
            plain(response, 505, "the console WebSocket needs HTTP/1.1 (got " + request.getProtocol() + ")");
            return;
        }
        String vmId = proxy.redeem(request.getParameter("token"));
        if (vmId == null) {
            LOG.log(Level.WARNING, "console WebSocket refused from " + request.getRemoteAddr() + ": ticket unknown, used or expired");
            plain(response, 403, "console ticket unknown, already used or expired: ask CreateConsoleSession for a new one");
            return;
        }
        if (proxy.withdrawn()) {
            plain(response, 503, "the console proxy is stopping");
            return;
        }
        if (!proxy.acquire()) {
            plain(response, 503, "too many console sessions open (" + ConsoleProxy.MAX_OPEN + ")");
            return;
        }
        boolean handedOver = false;
        Socket socket = new Socket();
        try {
            InetSocketAddress target;
            try {
                target = proxy.target(vmId);
            } catch (HypervisorException e) {
                plain(response, 502, "the console of VM " + vmId + " cannot be reached: " + e.getMessage());
                return;
            }
            try {
                socket.connect(target, CONNECT_TIMEOUT_MS);
                socket.setTcpNoDelay(true);
            } catch (IOException e) {
                plain(response, 502, "the console of VM " + vmId + " cannot be reached: " + e.getMessage());
                return;
            }
            JettyConsoleConnection.upgrade(request, response, h, socket, vmId, proxy);
            handedOver = true;
            LOG.log(Level.INFO, "console of VM " + vmId + " opened from " + request.getRemoteAddr() + " (" + target + ")");
        } finally {
            if (!handedOver) {
                proxy.release();
                socket.close();
            }
        }
    }

    private static void plain(HttpServletResponse response, int status, String message) throws IOException {
        byte[] body = (message + "\n").getBytes(StandardCharsets.UTF_8);
        response.setStatus(status);
        response.setContentType("text/plain");
        response.setCharacterEncoding("UTF-8");
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }
}
