package io.limiquantix.node.core.internal;

import io.limiquantix.node.api.Hypervisor;
import io.limiquantix.node.api.device.DeviceProvider;
import io.limiquantix.node.api.storage.VolumeProvider;
import io.limiquantix.node.runtime.NodeService;
import java.util.Hashtable;
import org.apache.felix.dm.DependencyActivatorBase;
import org.apache.felix.dm.DependencyManager;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;

/**
 * Wires the runtime with Felix Dependency Manager: the NodeService component tracks every Hypervisor,
 * VolumeProvider and DeviceProvider service (all optional and dynamic: the node runs, and answers, with none),
 * and a second component offers the {@code lq:} Gogo commands.
 *
 * <p>The ledger is opened here, before any component exists, because a ledger that cannot be read must stop
 * the bundle: a component whose start fails would still be registered by Dependency Manager.
 */
public final class Activator extends DependencyActivatorBase {
    private VmLedger ledger;
    private NodeServiceImpl node;
    private ReadinessReport readiness;
    private FrameworkStarted started;

    @Override
    public void init(BundleContext context, DependencyManager dm) throws Exception {
        NodeConfig config = NodeConfig.from(context::getProperty);
        ledger = VmLedger.open(config.dataDir());
        try {
            node = new NodeServiceImpl(config, ledger);
        } catch (RuntimeException e) {
            ledger.close();
            throw e;
        }
        BackendTracker backends = new BackendTracker(node.registry());
        ExtensionProviders providers = node.providers();

        dm.add(createComponent()
            .setInterface(NodeService.class.getName(), null)
            .setImplementation(node)
            .setCallbacks(null, null, null, null)
            .add(createServiceDependency().setService(Hypervisor.class).setRequired(false).setAutoConfig(false)
                .setCallbacks(backends, "added", "changed", "removed"))
            .add(createServiceDependency().setService(VolumeProvider.class).setRequired(false).setAutoConfig(false)
                .setCallbacks(providers, "addVolumeProvider", "removeVolumeProvider"))
            .add(createServiceDependency().setService(DeviceProvider.class).setRequired(false).setAutoConfig(false)
                .setCallbacks(providers, "addDeviceProvider", "removeDeviceProvider")));

        Hashtable<String, Object> commands = new Hashtable<>();
        commands.put("osgi.command.scope", "lq");
        commands.put("osgi.command.function", LqCommands.FUNCTIONS);
        dm.add(createComponent()
            .setInterface(Object.class.getName(), commands)
            .setImplementation(new LqCommands(node))
            .setCallbacks(null, null, null, null));

        if (!"false".equals(context.getProperty("limiquantix.readiness.report"))) {
            String home = context.getProperty("limiquantix.home");
            String where = home == null ? "  Shell: lq:backends, lq:vms, lq:place, lq:start, lq:stop\n"
                : "  Shell: lq:backends, lq:vms, lq:place, lq:start, lq:stop; configuration in " + home + "/etc, bundles in "
                    + home + "/deploy\n";
            started = new FrameworkStarted(context);
            context.addFrameworkListener(started);
            readiness = new ReadinessReport(node, config, () -> where, System.out, 20_000, started,
                () -> ReadinessConditions.pending(context));
            readiness.start();
        }
    }

    @Override
    public void destroy(BundleContext context, DependencyManager dm) throws Exception {
        // Unregister first, so no service callback reaches a runtime that is shutting down.
        if (readiness != null) readiness.stop();
        if (started != null) context.removeFrameworkListener(started);
        dm.clear();
        if (node != null) node.close();
        if (ledger != null) ledger.close();
    }
}
