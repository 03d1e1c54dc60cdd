package io.limiquantix.node.deploy.internal;

import io.limiquantix.node.deploy.DeployService;
import io.limiquantix.node.deploy.internal.console.ConsoleAccess;
import io.limiquantix.node.deploy.internal.console.ConsolePassword;
import io.limiquantix.node.deploy.internal.console.ConsoleSecurity;
import io.limiquantix.node.deploy.internal.console.DeployPlugin;
import io.limiquantix.node.deploy.internal.console.HypervisorsPlugin;
import io.limiquantix.node.runtime.NodeService;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.Hashtable;
import org.apache.felix.dm.DependencyActivatorBase;
import org.apache.felix.dm.DependencyManager;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.cm.ManagedService;

/**
 * Wires deployment with Dependency Manager: the DeployService (also the ManagedService of
 * {@code io.limiquantix.node.deploy}), and, each only when its optional package is wired, the deploy-folder
 * installer for FileInstall, the {@code lq:} deployment commands for Gogo, and the Web Console's security
 * provider and pages.
 */
public final class Activator extends DependencyActivatorBase {
    private static final System.Logger LOG = System.getLogger(Activator.class.getName());
    static final String CONSOLE_USER = "limiquantix.webconsole.user";
    static final String CONSOLE_PASSWORD_FILE = "limiquantix.webconsole.passwordFile";

    @Override
    public void init(BundleContext context, DependencyManager dm) {
        DeployServiceImpl deploy = new DeployServiceImpl(context, context::getProperty);
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(Constants.SERVICE_PID, DeployConfig.PID);
        dm.add(createComponent()
            .setInterface(new String[] {DeployService.class.getName(), ManagedService.class.getName()}, props)
            .setImplementation(deploy)
            .setCallbacks(null, null, null, null));

        if (wired("org.apache.felix.fileinstall.ArtifactInstaller")) {
            Hashtable<String, Object> p = new Hashtable<>();
            // above any other installer that might claim jars
            p.put(Constants.SERVICE_RANKING, 1000);
            dm.add(createComponent()
                .setInterface(new String[] {"org.apache.felix.fileinstall.ArtifactInstaller",
                    "org.apache.felix.fileinstall.ArtifactListener"}, p)
                .setImplementation(new FolderInstaller(deploy, dataDir(context).resolve("deploy-folder.properties")))
                .setCallbacks(null, null, null, null));
        }

        if (wired("org.apache.felix.service.command.Descriptor")) {
            Hashtable<String, Object> commands = new Hashtable<>();
            commands.put("osgi.command.scope", "lq");
            commands.put("osgi.command.function", DeployCommands.FUNCTIONS);
            dm.add(createComponent()
                .setInterface(Object.class.getName(), commands)
                .setImplementation(new DeployCommands(deploy))
                .setCallbacks(null, null, null, null));
        }

        if (wired("org.apache.felix.webconsole.spi.SecurityProvider") && wired("jakarta.servlet.http.HttpServlet")
            && wired("org.owasp.encoder.Encode") && wired("org.apache.felix.webconsole.servlet.AbstractServlet")) {
            console(context, dm, deploy);
        } else {
            LOG.log(Level.INFO, "no Web Console (or its servlet API/encoder): deployment runs without console pages");
        }
    }

    private void console(BundleContext context, DependencyManager dm, DeployServiceImpl deploy) {
        String user = context.getProperty(CONSOLE_USER);
        user = user == null || user.isBlank() ? "admin" : user.strip();
        Path file = ConsoleAccess.passwordFile(context.getProperty(CONSOLE_PASSWORD_FILE), context.getProperty("limiquantix.data"));
        ConsolePassword password;
        try {
            password = ConsolePassword.loadOrCreate(file);
            LOG.log(Level.INFO, "Web Console: user '" + user + "', password in " + file);
        } catch (IOException e) {
            // No password: the security provider is still registered (the console requires it) and refuses everyone.
            password = null;
            LOG.log(Level.ERROR, "Web Console: nobody can log in: " + e.getMessage());
        }
        Hashtable<String, Object> sp = new Hashtable<>();
        sp.put("webconsole.security.provider.id", ConsoleSecurity.ID);
        sp.put(Constants.SERVICE_RANKING, 1000);
        dm.add(createComponent()
            .setInterface("org.apache.felix.webconsole.spi.SecurityProvider", sp)
            .setImplementation(new ConsoleSecurity(user, password))
            .setCallbacks(null, null, null, null));

        dm.add(createComponent()
            .setImplementation(new ConsoleAccess(user, password))
            .setCallbacks(null, null, null, null)
            .add(createServiceDependency().setService(ConfigurationAdmin.class).setRequired(false).setAutoConfig(false)
                .setCallbacks("configurationAdmin", null)));

        Hashtable<String, Object> hv = new Hashtable<>();
        hv.put("felix.webconsole.label", HypervisorsPlugin.LABEL);
        hv.put("felix.webconsole.title", HypervisorsPlugin.TITLE);
        hv.put("felix.webconsole.category", "LimiQuantix");
        dm.add(createComponent()
            .setInterface("jakarta.servlet.Servlet", hv)
            .setImplementation(new HypervisorsPlugin())
            .setCallbacks(null, null, null, null)
            .add(createServiceDependency().setService(NodeService.class).setRequired(false).setAutoConfig(false)
                .setCallbacks("setNode", "unsetNode")));

        Hashtable<String, Object> dp = new Hashtable<>();
        dp.put("felix.webconsole.label", DeployPlugin.LABEL);
        dp.put("felix.webconsole.title", DeployPlugin.TITLE);
        dp.put("felix.webconsole.category", "LimiQuantix");
        dm.add(createComponent()
            .setInterface("jakarta.servlet.Servlet", dp)
            .setImplementation(new DeployPlugin(deploy))
            .setCallbacks(null, null, null, null));
    }

    private static Path dataDir(BundleContext context) {
        String data = context.getProperty("limiquantix.data");
        return Path.of(data == null || data.isBlank() ? "data" : data);
    }

    private boolean wired(String className) {
        try {
            Class.forName(className, false, Activator.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    @Override
    public void destroy(BundleContext context, DependencyManager dm) {
        // DM removes the components and their services.
    }
}
