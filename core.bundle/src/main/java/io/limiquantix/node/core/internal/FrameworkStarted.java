package io.limiquantix.node.core.internal;

import java.util.function.BooleanSupplier;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.FrameworkListener;
import org.osgi.framework.startlevel.BundleStartLevel;

/**
 * Whether the framework has finished starting its bundles. The system bundle's state is not enough: bnd's
 * launcher starts the framework at start level 1 and only then raises it to the beginning start level, so the
 * system bundle is ACTIVE while most bundles are still to be started. Started means: the framework said so
 * ({@link FrameworkEvent#STARTED}, or {@link FrameworkEvent#STARTLEVEL_CHANGED} when the launcher's raise has
 * completed), or — for a runtime started after that, e.g. deployed later — no bundle is starting and every bundle
 * marked to start is active (a bundle with lazy activation waits for its first class load, not for us).
 */
final class FrameworkStarted implements FrameworkListener, BooleanSupplier {
    private final BundleContext context;
    private volatile boolean announced;

    FrameworkStarted(BundleContext context) {
        this.context = context;
    }

    @Override
    public void frameworkEvent(FrameworkEvent event) {
        if (event.getType() == FrameworkEvent.STARTED || event.getType() == FrameworkEvent.STARTLEVEL_CHANGED) announced = true;
    }

    @Override
    public boolean getAsBoolean() {
        return announced || everyMarkedBundleIsActive();
    }

    private boolean everyMarkedBundleIsActive() {
        Bundle framework = context.getBundle(Constants.SYSTEM_BUNDLE_LOCATION);
        if (framework != null && framework.getState() != Bundle.ACTIVE) return false;
        for (Bundle b : context.getBundles()) {
            if (b.getBundleId() == 0 || lazy(b)) continue;
            if (b.getState() == Bundle.STARTING) return false;
            BundleStartLevel level = b.adapt(BundleStartLevel.class);
            if (level != null && level.isPersistentlyStarted() && b.getState() != Bundle.ACTIVE) return false;
        }
        return true;
    }

    private static boolean lazy(Bundle b) {
        String policy = b.getHeaders("").get(Constants.BUNDLE_ACTIVATIONPOLICY);
        return policy != null && policy.strip().startsWith(Constants.ACTIVATION_LAZY);
    }
}
