package io.limiquantix.node.rpc.internal;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;

/**
 * The servlet that the HTTP whiteboard serves under {@code /limiquantix.node.v1.NodeDaemonService/*}: it only
 * translates between the servlet API and {@link JsonGateway}. Before that, the transport rule of the gRPC API:
 * plaintext only on a loopback address; anything reaching the node from the network must come over HTTPS with a
 * client certificate (mutual TLS). A request that breaks it is refused 403 before its headers are looked at.
 */
final class JsonServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    static final String CLIENT_CERTIFICATES = "jakarta.servlet.request.X509Certificate";

    private final transient JsonGateway gateway;

    private JsonServlet(JsonGateway gateway) {
        this.gateway = gateway;
    }

    /** A new servlet, typed Object so that callers need not load the servlet API unless it is there. */
    static Object create(JsonGateway gateway) {
        return new JsonServlet(gateway);
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String refused = transportRefusal(request.isSecure(), request.getLocalAddr(),
            request.getAttribute(CLIENT_CERTIFICATES) != null);
        JsonGateway.Reply reply;
        if (refused != null) {
            reply = JsonGateway.error(403, "permission_denied", refused);
        } else {
            String path = request.getPathInfo();
            String rpc = path == null || path.length() < 2 || path.indexOf('/', 1) >= 0 ? null : path.substring(1);
            reply = gateway.handle(request.getMethod(), rpc, request.getHeader("Authorization"),
                request.getHeader("Content-Type"), request.getHeader("Connect-Timeout-Ms"), new JsonGateway.Body() {
                    @Override
                    public long declaredLength() {
                        return request.getContentLengthLong();
                    }

                    @Override
                    public InputStream open() throws IOException {
                        return request.getInputStream();
                    }
                });
        }
        // A refusal (401, 403, 404, 405 ...) is decided before the body is read. Jetty then cannot keep the
        // connection when the body arrives after the answer, and closed it without saying so: a client reusing it
        // had its next request fail with no answer at all (SoakTest, 1 in ~5,000 calls; the JDK client sends the
        // body after the headers). So the rest of a small body is read here, and a large one closes the connection
        // with "Connection: close", which clients honour.
        if (!drain(request)) response.setHeader("Connection", "close");
        byte[] body = reply.json().getBytes(StandardCharsets.UTF_8);
        response.setStatus(reply.status());
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        response.setHeader("Cache-Control", "no-store");
        if (reply.status() == 405) response.setHeader("Allow", "POST");
        if (reply.status() == 401) response.setHeader("WWW-Authenticate", "Bearer");
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }

    /** What is read of a body that was not needed, to keep its connection; more closes the connection. */
    static final int DRAIN_LIMIT = 64 * 1024;

    /** Reads what is left of the request's body (at most {@link #DRAIN_LIMIT}); false when some is left unread. */
    static boolean drain(HttpServletRequest request) {
        long declared = request.getContentLengthLong();
        if (declared > DRAIN_LIMIT) return false;
        try {
            InputStream in = request.getInputStream();
            byte[] buffer = new byte[8192];
            long total = 0;
            for (int n; (n = in.read(buffer)) >= 0; ) {
                total += n;
                if (total > DRAIN_LIMIT) return false;
            }
            return true;
        } catch (IOException | IllegalStateException e) {
            return false;
        }
    }

    /**
     * The gRPC API's network rule for one HTTP request: null if it may be served, else why not.
     *
     * @param secure whether it came over TLS
     * @param localAddress the address it was received on
     * @param clientCertificate whether the client presented a certificate the server accepted
     */
    static String transportRefusal(boolean secure, String localAddress, boolean clientCertificate) {
        if (loopback(localAddress)) return null;
        if (!secure)
            return "JSON over plain HTTP is served on loopback only: a bearer token over plaintext on a network can be "
                + "read and replayed by anyone on the path; use HTTPS with a client certificate";
        if (!clientCertificate)
            return "beyond loopback the node requires a client certificate (mutual TLS), as its gRPC API does";
        return null;
    }

    static boolean loopback(String address) {
        if (address == null || address.isEmpty()) return false;
        String a = address.startsWith("[") && address.endsWith("]") ? address.substring(1, address.length() - 1) : address;
        if (!a.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == '.' || c == ':' || c == '%')) return false;
        try {
            return InetAddress.getByName(a).isLoopbackAddress(); // an IP literal: no name lookup
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
