package io.limiquantix.node.core.internal;

import io.limiquantix.node.api.Hypervisor;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;

/**
 * Dependency Manager's callbacks for Hypervisor services: reads the identity from the service properties
 * and hands it to the OSGi-free {@link BackendRegistry}.
 */
final class BackendTracker {
    private final BackendRegistry registry;

    BackendTracker(BackendRegistry registry) {
        this.registry = registry;
    }

    void added(ServiceReference<?> ref, Hypervisor h) {
        registry.add(name(ref), string(ref.getProperty(Hypervisor.PROP_TYPE)), ranking(ref), serviceId(ref), h);
    }

    void changed(ServiceReference<?> ref, Hypervisor h) {
        registry.update(name(ref), string(ref.getProperty(Hypervisor.PROP_TYPE)), ranking(ref), serviceId(ref), h);
    }

    void removed(ServiceReference<?> ref, Hypervisor h) {
        registry.remove(serviceId(ref));
    }

    /** The backend's name, or its service id when the service does not say (never two backends with one name). */
    private static String name(ServiceReference<?> ref) {
        String n = string(ref.getProperty(Hypervisor.PROP_NAME));
        return n == null || n.isBlank() ? Long.toString(serviceId(ref)) : n;
    }

    private static long serviceId(ServiceReference<?> ref) {
        Object id = ref.getProperty(Constants.SERVICE_ID);
        return id instanceof Number n ? n.longValue() : -1;
    }

    /** As the framework orders services: only an Integer counts, anything else is 0. */
    private static int ranking(ServiceReference<?> ref) {
        Object r = ref.getProperty(Constants.SERVICE_RANKING);
        return r instanceof Integer i ? i : 0;
    }

    private static String string(Object o) {
        return o == null ? null : o.toString();
    }
}
