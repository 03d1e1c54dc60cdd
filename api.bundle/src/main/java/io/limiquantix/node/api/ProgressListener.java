package io.limiquantix.node.api;

import org.osgi.annotation.versioning.ConsumerType;

/** Receives progress of a long operation (graceful stop, snapshot, migration). */
@ConsumerType
@FunctionalInterface
public interface ProgressListener {
    ProgressListener NONE = p -> { };

    void progress(OperationProgress progress);
}
