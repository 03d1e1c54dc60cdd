package io.limiquantix.node.deploy.internal.console;

import io.limiquantix.node.api.BackendHealth;
import io.limiquantix.node.api.Feature;
import io.limiquantix.node.api.HypervisorCapabilities;
import io.limiquantix.node.runtime.BackendView;
import io.limiquantix.node.runtime.NodeService;
import io.limiquantix.node.runtime.PlacementDecision;
import io.limiquantix.node.runtime.VmRecord;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.felix.webconsole.servlet.AbstractServlet;

/**
 * The Web Console's "Hypervisors" page ({@code /system/console/hypervisors}): every backend (ranking, capability,
 * health, accelerator, features, limits, VM count), every VM (backend, state) and the recent placement decisions
 * with the reason each other backend was passed over. Read from {@link NodeService} at each request; every value
 * is HTML-escaped.
 */
public final class HypervisorsPlugin extends AbstractServlet {
    private static final long serialVersionUID = 1L;
    public static final String LABEL = "hypervisors";
    public static final String TITLE = "Hypervisors";

    private volatile transient NodeService node; // set by Dependency Manager (optional: the page says when it is away)

    public void setNode(NodeService node) {
        this.node = node;
    }

    public void unsetNode(NodeService node) {
        if (this.node == node) this.node = null;
    }

    @Override
    public void renderContent(HttpServletRequest request, HttpServletResponse response) throws IOException {
        NodeService n = node;
        PrintWriter out = response.getWriter();
        if (n == null) {
            out.println("<p class='statline'>The node's runtime (NodeService) is not running.</p>");
            return;
        }
        List<BackendView> backends = n.backends();
        List<VmRecord> vms = n.listVms();
        List<PlacementDecision> decisions = n.recentDecisions();
        out.println("<p class='statline'>" + backends.size() + " backend(s), " + vms.size() + " VM(s), "
            + decisions.size() + " recent placement decision(s).</p>");

        out.println("<h2>Backends</h2>");
        out.println("<table class='nicetable' id='lq-backends'><thead><tr><th>Name</th><th>Type</th><th>Ranking</th><th>Capable</th>"
            + "<th>Health</th><th>Accelerator</th><th>Features</th><th>Limits</th><th>VMs</th></tr></thead><tbody>");
        for (BackendView b : backends) {
            HypervisorCapabilities c = b.capabilities();
            BackendHealth h = b.health();
            out.println("<tr><td>" + Html.text(b.name()) + "</td><td>" + Html.text(b.type()) + "</td><td>" + b.ranking() + "</td><td>"
                + (c.capable() ? "yes" : "no: " + Html.text(c.notCapableReason())) + "</td><td>" + Html.text(String.valueOf(h.status()))
                + (h.detail() == null || h.detail().isBlank() ? "" : "<br><small>" + Html.text(h.detail()) + "</small>") + "</td><td>"
                + Html.text(String.valueOf(c.accelerator())) + "</td><td><small>"
                + Html.text(c.features().stream().map(Feature::name).sorted().collect(Collectors.joining(", "))) + "</small></td><td>"
                + (c.maxVcpus() > 0 ? c.maxVcpus() + " vCPUs" : "-") + (c.maxMemoryMiB() > 0 ? ", " + c.maxMemoryMiB() + " MiB" : "")
                + "</td><td>" + b.vmCount() + "</td></tr>");
        }
        if (backends.isEmpty()) out.println("<tr><td colspan='9'>No hypervisor backend is registered.</td></tr>");
        out.println("</tbody></table>");

        out.println("<h2>Virtual machines</h2>");
        out.println("<table class='nicetable' id='lq-vms'><thead><tr><th>Name</th><th>Id</th><th>Backend</th><th>State</th>"
            + "<th>Adopted</th><th>Pending operation</th></tr></thead><tbody>");
        for (VmRecord v : vms)
            out.println("<tr><td>" + Html.text(v.name()) + "</td><td><small>" + Html.text(v.id()) + "</small></td><td>"
                + Html.text(v.backend()) + "</td><td>" + Html.text(String.valueOf(v.state()))
                + (v.stateReason() == null || v.stateReason().isBlank() ? "" : "<br><small>" + Html.text(v.stateReason()) + "</small>")
                + "</td><td>" + (v.adopted() ? "yes" : "no") + "</td><td>" + Html.text(v.pendingOperation() == null ? "-" : v.pendingOperation())
                + "</td></tr>");
        if (vms.isEmpty()) out.println("<tr><td colspan='6'>No VMs.</td></tr>");
        out.println("</tbody></table>");

        out.println("<h2>Recent placement decisions</h2>");
        out.println("<table class='nicetable' id='lq-decisions'><thead><tr><th>When</th><th>VM</th><th>Chosen</th><th>Reason</th>"
            + "<th>Other backends</th></tr></thead><tbody>");
        for (PlacementDecision d : decisions) {
            String others = d.candidates().stream().filter(c -> !c.backend().equals(d.chosen()))
                .map(c -> Html.text(c.backend()) + " (" + c.ranking() + "): " + Html.text(c.reason() == null ? "" : c.reason()))
                .collect(Collectors.joining("<br>"));
            out.println("<tr><td>" + Html.text(String.valueOf(d.at())) + "</td><td>" + Html.text(d.vmName()) + "</td><td>"
                + (d.placed() ? Html.text(d.chosen()) : "<b>none</b>") + "</td><td>" + Html.text(d.reason() == null ? "" : d.reason())
                + "</td><td><small>" + others + "</small></td></tr>");
        }
        if (decisions.isEmpty()) out.println("<tr><td colspan='5'>No placement decisions yet.</td></tr>");
        out.println("</tbody></table>");
    }
}
