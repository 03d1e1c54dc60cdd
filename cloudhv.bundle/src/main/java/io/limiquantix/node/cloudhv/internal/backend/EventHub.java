package io.limiquantix.node.cloudhv.internal.backend;

import io.limiquantix.node.api.Subscription;
import io.limiquantix.node.api.VmEvent;
import io.limiquantix.node.api.VmEventListener;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Level;
import java.util.logging.Logger;

/** The backend's subscribers. A listener that throws is logged and keeps its subscription. */
final class EventHub {
    private static final Logger LOG = Logger.getLogger(EventHub.class.getName());
    private final String backend;
    private final CopyOnWriteArrayList<VmEventListener> listeners = new CopyOnWriteArrayList<>();

    EventHub(String backend) {
        this.backend = backend;
    }

    Subscription subscribe(VmEventListener l) {
        listeners.add(l);
        return () -> listeners.remove(l);
    }

    void publish(VmEvent.Type type, String vmId, String vmName, String detail) {
        VmEvent e = new VmEvent(type, vmId, vmName, backend, detail, null);
        for (VmEventListener l : listeners) {
            try {
                l.onEvent(e);
            } catch (RuntimeException ex) {
                LOG.log(Level.WARNING, "an event listener of backend " + backend + " failed on " + e, ex);
            }
        }
    }

    void clear() {
        listeners.clear();
    }
}
