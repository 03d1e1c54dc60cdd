package io.limiquantix.node.itest;

import io.limiquantix.node.runtime.BackendView;
import io.limiquantix.node.runtime.NodeService;
import java.io.IOException;
import java.util.Hashtable;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/** Configures libvirt backends the way an operator does: ConfigAdmin factory configurations. */
final class Backends {
    static final String FACTORY_PID = "io.limiquantix.node.libvirt";

    private Backends() {}

    static Configuration add(ConfigurationAdmin cm, String name, String uri, int ranking, String accel) throws IOException {
        Configuration c = cm.createFactoryConfiguration(FACTORY_PID, null);
        Hashtable<String, Object> props = new Hashtable<>();
        props.put("name", name);
        props.put("uri", uri);
        props.put("ranking", ranking);
        props.put("accel", accel);
        c.update(props);
        return c;
    }

    /** Waits until the backend is registered, connected and capable (it connects in the background). */
    static BackendView await(NodeService node, String name) {
        return Await.value("backend " + name + " to register and become capable and healthy", 60_000,
            () -> node.backends().stream()
                .filter(b -> b.name().equals(name) && b.capabilities().capable() && b.health().isHealthy())
                .findFirst().orElse(null));
    }

    static void awaitGone(NodeService node, String name) {
        Await.until("backend " + name + " to go away", 30_000,
            () -> node.backends().stream().noneMatch(b -> b.name().equals(name)));
    }
}
