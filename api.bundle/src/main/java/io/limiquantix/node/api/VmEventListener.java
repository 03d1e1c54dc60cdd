package io.limiquantix.node.api;

import org.osgi.annotation.versioning.ConsumerType;

/** Receives events; called on the publisher's thread, so it must return quickly and not throw. */
@ConsumerType
@FunctionalInterface
public interface VmEventListener {
    void onEvent(VmEvent event);
}
