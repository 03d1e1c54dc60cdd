package io.limiquantix.node.core.internal;

import java.util.ArrayList;
import java.util.List;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.condition.Condition;

/**
 * What the node still waits for before it calls itself ready. A bundle whose start finishes on its own threads
 * (the libvirt bundle registers and probes its embedded defaults after its activator returned; the rpc bundle
 * binds its port off the framework's start thread) declares it in its manifest, {@value #HEADER}: a
 * comma-separated list of OSGi condition ids, and registers a {@link Condition} service with
 * {@value Condition#CONDITION_ID} set to each once that part is done. Only bundles that are starting or active
 * are waited for: one that failed to start or was stopped does not hold the node's readiness hostage.
 */
final class ReadinessConditions {
    static final String HEADER = "LimiQuantix-Readiness";

    private ReadinessConditions() {
    }

    /** "bundle: condition id" for every declared condition not registered yet by its bundle; empty when none is pending. */
    static List<String> pending(BundleContext context) {
        List<String> pending = new ArrayList<>();
        for (Bundle b : context.getBundles()) {
            if ((b.getState() & (Bundle.STARTING | Bundle.ACTIVE)) == 0) continue;
            String declared = b.getHeaders("").get(HEADER);
            if (declared == null || declared.isBlank()) continue;
            for (String id : declared.split(",")) {
                String condition = id.strip();
                if (condition.isEmpty()) continue;
                if (!registered(context, b, condition)) pending.add(b.getSymbolicName() + ": " + condition);
            }
        }
        return pending;
    }

    private static boolean registered(BundleContext context, Bundle owner, String id) {
        try {
            for (ServiceReference<Condition> ref : context.getServiceReferences(Condition.class,
                "(" + Condition.CONDITION_ID + "=" + id.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").replace("*", "\\*") + ")")) {
                if (owner.equals(ref.getBundle())) return true;
            }
            return false;
        } catch (InvalidSyntaxException e) {
            return false;
        }
    }
}
