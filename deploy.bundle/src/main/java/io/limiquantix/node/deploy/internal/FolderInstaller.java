package io.limiquantix.node.deploy.internal;

import io.limiquantix.node.api.NotFoundException;
import io.limiquantix.node.deploy.DeployService;
import io.limiquantix.node.deploy.DeployedBundle;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.Properties;
import org.apache.felix.fileinstall.ArtifactInstaller;

/**
 * The deploy folder through {@link DeployService}. FileInstall (3.7.4) asks the registered ArtifactListeners, highest
 * service ranking first, whether they can handle a file, and only when none can does its built-in bundle
 * handling install the jar unchecked; this installer accepts every {@code .jar} file, in every folder FileInstall
 * watches, so no jar reaches the framework without the signature checks. A dropped jar is deployed, an
 * overwritten one deployed again (an update in place, or nothing when its digest is unchanged), a deleted one
 * undeployed. A refused jar makes FileInstall log "Failed to install artifact" with the reason; it is not tried
 * again until the file changes.
 *
 * <p>Which file deployed which bundle is kept in {@code <data>/deploy-folder.properties}, so that deleting a file
 * after a restart still undeploys its bundle.
 */
final class FolderInstaller implements ArtifactInstaller {
    private static final System.Logger LOG = System.getLogger(FolderInstaller.class.getName());
    private final DeployService deploy;
    private final Path state;

    FolderInstaller(DeployService deploy, Path state) {
        this.deploy = deploy;
        this.state = state;
    }

    @Override
    public boolean canHandle(File artifact) {
        return artifact.getName().toLowerCase(Locale.ROOT).endsWith(".jar") && !artifact.isDirectory();
    }

    @Override
    public void install(File artifact) throws Exception {
        deployFile(artifact);
    }

    @Override
    public void update(File artifact) throws Exception {
        deployFile(artifact);
    }

    @Override
    public void uninstall(File artifact) throws Exception {
        String bsn;
        synchronized (this) {
            Properties map = load();
            bsn = (String) map.remove(key(artifact));
            save(map);
        }
        if (bsn == null) {
            LOG.log(Level.INFO, artifact + " was deleted; it had not deployed a bundle");
            return;
        }
        try {
            deploy.undeploy(bsn, who(artifact));
        } catch (NotFoundException e) {
            LOG.log(Level.INFO, artifact + " was deleted; its bundle " + bsn + " is not installed any more");
        }
    }

    private void deployFile(File artifact) throws IOException {
        DeployedBundle d;
        try (InputStream in = Files.newInputStream(artifact.toPath())) {
            d = deploy.deploy(in, who(artifact));
        }
        String previous;
        synchronized (this) {
            Properties map = load();
            previous = (String) map.put(key(artifact), d.symbolicName());
            save(map);
        }
        // The file now carries another bundle: the one it deployed before goes.
        if (previous != null && !previous.equals(d.symbolicName())) {
            try {
                deploy.undeploy(previous, who(artifact));
            } catch (NotFoundException e) {
                // gone already
            }
        }
        LOG.log(Level.INFO, artifact + ": " + d.symbolicName() + " " + d.version() + " " + d.outcome());
    }

    static String who(File artifact) {
        String owner;
        try {
            owner = Files.getOwner(artifact.toPath()).getName();
        } catch (IOException | UnsupportedOperationException e) {
            owner = "?";
        }
        return "deploy-folder:" + artifact.getAbsolutePath() + " (file owner " + owner + ")";
    }

    private static String key(File artifact) {
        return artifact.getAbsoluteFile().toPath().normalize().toString();
    }

    private Properties load() throws IOException {
        Properties p = new Properties();
        if (Files.isRegularFile(state)) try (InputStream in = Files.newInputStream(state)) {
            p.load(in);
        }
        return p;
    }

    private void save(Properties p) throws IOException {
        Files.createDirectories(state.toAbsolutePath().getParent());
        Path tmp = state.resolveSibling(state.getFileName() + ".tmp");
        try (OutputStream out = Files.newOutputStream(tmp)) {
            p.store(out, "deploy folder file -> Bundle-SymbolicName (written by io.limiquantix.node.deploy)");
        }
        Files.move(tmp, state, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
