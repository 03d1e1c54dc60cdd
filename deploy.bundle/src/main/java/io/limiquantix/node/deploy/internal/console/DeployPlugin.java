package io.limiquantix.node.deploy.internal.console;

import io.limiquantix.node.api.HypervisorException;
import io.limiquantix.node.deploy.DeployService;
import io.limiquantix.node.deploy.DeployedBundle;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.Part;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.felix.webconsole.servlet.AbstractServlet;

/**
 * The Web Console's "Deploy" page ({@code /system/console/lq-deploy}): every bundle with its version, state,
 * signer and SHA-256 digest, and a form that uploads a jar to {@link DeployService} (the same checks as every other
 * way in; the audit log names the console user). A POST whose Origin (or Referer) is another site is refused, so
 * another page in the operator's browser cannot deploy through their login.
 */
public final class DeployPlugin extends AbstractServlet {
    private static final long serialVersionUID = 1L;
    public static final String LABEL = "lq-deploy";
    public static final String TITLE = "Deploy";

    private final transient DeployService deploy;

    public DeployPlugin(DeployService deploy) {
        this.deploy = deploy;
    }

    @Override
    public void renderContent(HttpServletRequest request, HttpServletResponse response) throws IOException {
        PrintWriter out = response.getWriter();
        DeployService d = deploy;
        String message = request.getParameter("result");
        if (message != null)
            out.println("<p class='statline' id='lq-deploy-result'>" + Html.text(message) + "</p>");
        out.println("<h2>Deploy a bundle</h2>");
        out.println("<form method='post' enctype='multipart/form-data' action='" + Html.attribute(LABEL) + "'>"
            + "<p>A jar signed with a key in the node's trust store. A bundle of the same symbolic name is updated in place "
            + "(rolled back if the new one does not start).</p>"
            + "<input type='file' name='jar' accept='.jar' required> <input type='submit' value='Deploy'></form>");
        out.println("<h2>Bundles</h2>");
        if (d == null) {
            out.println("<p>The deployment service is not running.</p>");
            return;
        }
        List<DeployedBundle> all = d.list();
        out.println("<table class='nicetable' id='lq-bundles'><thead><tr><th>Id</th><th>Symbolic name</th><th>Version</th>"
            + "<th>State</th><th>Signer</th><th>SHA-256</th><th>Location</th></tr></thead><tbody>");
        for (DeployedBundle b : all)
            out.println("<tr><td>" + b.id() + "</td><td>" + Html.text(b.symbolicName()) + "</td><td>" + Html.text(b.version())
                + "</td><td>" + Html.text(b.state()) + "</td><td>" + (b.signer() == null ? "<i>unsigned</i>"
                : Html.text(b.signer()) + (b.trusted() ? "" : " <i>(not in the trust store)</i>")) + "</td><td><code>"
                + Html.text(b.sha256() == null ? "-" : b.sha256()) + "</code></td><td><small>" + Html.text(b.location())
                + "</small></td></tr>");
        out.println("</tbody></table>");
    }

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws ServletException, IOException {
        String result;
        if (!sameOrigin(request)) {
            response.sendError(HttpServletResponse.SC_FORBIDDEN, "cross-site request refused");
            return;
        }
        DeployService d = deploy;
        if (d == null) {
            result = "The deployment service is not running.";
        } else {
            Part part;
            try {
                part = request.getPart("jar");
            } catch (ServletException | IllegalStateException e) {
                part = null;
            }
            if (part == null || part.getSize() == 0) {
                result = "jar: no file was uploaded";
            } else {
                String user = request.getRemoteUser();
                Object u = request.getAttribute("org.apache.felix.webconsole.user");
                String who = "webconsole:" + (user != null ? user : u instanceof String s ? s : "admin") + "@" + request.getRemoteAddr();
                try (InputStream in = part.getInputStream()) {
                    DeployedBundle b = d.deploy(in, who);
                    result = b.symbolicName() + " " + b.version() + " " + b.outcome() + " (sha256 " + b.sha256() + ")";
                } catch (HypervisorException e) {
                    result = "Refused: " + e.getMessage();
                }
            }
        }
        response.sendRedirect(LABEL + "?result=" + URLEncoder.encode(result, StandardCharsets.UTF_8));
    }

    /** True when the browser says the form came from this console (Origin, else Referer), or says nothing. */
    static boolean sameOrigin(HttpServletRequest request) {
        String origin = request.getHeader("Origin");
        if (origin == null || origin.equals("null")) origin = request.getHeader("Referer");
        if (origin == null) return true;
        try {
            URI u = URI.create(origin);
            String host = request.getHeader("Host");
            String hostPort = u.getPort() < 0 ? u.getHost() : u.getHost() + ":" + u.getPort();
            return host != null && (host.equalsIgnoreCase(hostPort) || host.equalsIgnoreCase(u.getHost()));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
