package io.limiquantix.node.rpc.internal;

import io.limiquantix.node.runtime.NodeService;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;

/**
 * {@code GET /metrics}: the node's Prometheus text exposition ({@link NodeMetrics}). The same rules as the JSON
 * API: the transport rule ({@link JsonServlet#transportRefusal}) first, then the node's bearer token
 * ({@code authorization: Bearer <token>}, which Prometheus sends with {@code authorization: {credentials_file: …}}).
 * Nothing is collected for a request that fails either.
 */
final class MetricsServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    private static final System.Logger LOG = System.getLogger(MetricsServlet.class.getName());
    static final String PATH = "/metrics";

    private final transient BearerToken token;
    private final transient Supplier<NodeService> node;

    private MetricsServlet(BearerToken token, Supplier<NodeService> node) {
        this.token = token;
        this.node = node;
    }

    /** A new servlet, typed Object so that callers need not load the servlet API unless it is there. */
    static Object create(BearerToken token, Supplier<NodeService> node) {
        return new MetricsServlet(token, node);
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String refused = JsonServlet.transportRefusal(request.isSecure(), request.getLocalAddr(),
            request.getAttribute(JsonServlet.CLIENT_CERTIFICATES) != null);
        if (refused != null) {
            send(response, 403, refused + "\n");
            return;
        }
        String auth = token.refusal(request.getHeader("Authorization"));
        if (auth != null) {
            response.setHeader("WWW-Authenticate", "Bearer");
            send(response, 401, auth + "\n");
            return;
        }
        if (!"GET".equals(request.getMethod()) && !"HEAD".equals(request.getMethod())) {
            response.setHeader("Allow", "GET, HEAD");
            send(response, 405, "use GET\n");
            return;
        }
        NodeService n = node.get();
        if (n == null) {
            send(response, 503, "the node is not running\n");
            return;
        }
        String text;
        try {
            text = NodeMetrics.scrape(n);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "/metrics failed: " + e, e);
            send(response, 500, "collecting metrics failed: " + e.getMessage() + "\n");
            return;
        }
        byte[] body = text.getBytes(StandardCharsets.UTF_8);
        response.setStatus(200);
        response.setContentType(PrometheusText.CONTENT_TYPE);
        response.setHeader("Cache-Control", "no-store");
        response.setContentLength(body.length);
        if (!"HEAD".equals(request.getMethod())) response.getOutputStream().write(body);
    }

    private static void send(HttpServletResponse response, int status, String text) throws IOException {
        byte[] body = text.getBytes(StandardCharsets.UTF_8);
        response.setStatus(status);
        response.setContentType("text/plain; charset=utf-8");
        response.setHeader("Cache-Control", "no-store");
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }
}
