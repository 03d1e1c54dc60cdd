package io.limiquantix.node.deploy.internal;

import io.limiquantix.node.api.ConflictException;
import io.limiquantix.node.api.InvalidArgumentException;
import io.limiquantix.node.api.NotFoundException;
import io.limiquantix.node.deploy.DeployService;
import io.limiquantix.node.deploy.DeployedBundle;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Dictionary;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.service.cm.ManagedService;

/**
 * The deployment service. One deployment runs at a time. The jar is staged in a temporary file (bounded size),
 * verified ({@link JarVerifier}), then installed or used to update the bundle of the same symbolic name; if the
 * bundle does not start, a new one is uninstalled and an updated one updated back to a copy of the jar it ran
 * before (taken from the framework's bundle cache), and started as it was. Only bundles that still use an old
 * revision (the removal-pending bundle and its dependency closure) are refreshed.
 */
final class DeployServiceImpl implements DeployService, ManagedService {
    static final String LOCATION_PREFIX = "limiquantix-deploy:";
    private static final System.Logger LOG = System.getLogger(DeployServiceImpl.class.getName());
    private static final long REFRESH_WAIT_SECONDS = 120;

    private final BundleContext context;
    private final Function<String, String> framework;
    private final Object deploying = new Object();
    private final Map<Long, Known> known = new ConcurrentHashMap<>();
    private volatile DeployConfig config;
    private volatile String configError;
    private volatile AuditLog audit;

    /** Digest and signer of a bundle's jar, valid while the bundle's last-modified time stays. */
    private record Known(long lastModified, String sha256, String signer, boolean trusted) {
    }

    DeployServiceImpl(BundleContext context, Function<String, String> framework) {
        this.context = context;
        this.framework = framework;
        apply(null);
    }

    @Override
    public void updated(Dictionary<String, ?> properties) {
        apply(properties);
    }

    private void apply(Dictionary<String, ?> properties) {
        try {
            DeployConfig c = DeployConfig.from(key -> properties == null ? null : properties.get(key), framework);
            config = c;
            configError = null;
            audit = new AuditLog(c.auditLog());
            if (c.development())
                LOG.log(Level.WARNING, "deployment in DEVELOPMENT mode: unsigned bundles are accepted (" + DeployConfig.FW_DEVELOPMENT + ")");
            else LOG.log(Level.INFO, "deployment accepts bundles signed by keys in " + c.trustDescription());
        } catch (InvalidArgumentException e) {
            configError = "configuration " + DeployConfig.PID + " refused: " + e.getMessage();
            LOG.log(Level.ERROR, "deployment refuses every bundle until this is fixed: " + configError);
        }
    }

    DeployConfig config() {
        return config;
    }

    AuditLog audit() {
        return audit;
    }

    @Override
    public DeployedBundle deploy(InputStream jar, String who) {
        return apply(null, jar, who(who), "deploy");
    }

    @Override
    public DeployedBundle swap(String symbolicName, InputStream jar, String who) {
        if (symbolicName == null || symbolicName.isBlank())
            throw new InvalidArgumentException("symbolicName", "is required (the Bundle-SymbolicName of the bundle to replace)");
        return apply(symbolicName.strip(), jar, who(who), "swap");
    }

    private static String who(String who) {
        return who == null || who.isBlank() ? "unknown" : who;
    }

    private DeployedBundle apply(String expected, InputStream in, String who, String action) {
        if (in == null) throw new InvalidArgumentException("jar", "is required (the bundle jar's bytes)");
        DeployConfig c = config;
        if (c == null || configError != null) {
            InvalidArgumentException e = new InvalidArgumentException("jar", "cannot be checked: " + configError);
            audit(who, action, "refused", null, null, null, null, e.getMessage());
            throw e;
        }
        Path staged = stage(in, c.maxJarBytes(), who, action);
        try {
            VerifiedJar v;
            try {
                TrustAnchors trust = c.trustStore() == null ? TrustAnchors.none()
                    : TrustAnchors.load(c.trustStore(), c.trustStorePassword(), c.trustStoreType());
                v = JarVerifier.verify(staged, trust, c.development());
            } catch (InvalidArgumentException e) {
                String digest = digestOrNull(staged);
                String[] named = peek(staged);
                audit(who, action, "refused", named[0], named[1], digest, null, e.getMessage());
                throw e.field().equals("jar") ? e : new InvalidArgumentException("jar", "cannot be checked: " + e.getMessage());
            }
            synchronized (deploying) {
                Bundle existing = find(v.symbolicName());
                if (expected != null) {
                    if (!expected.equals(v.symbolicName())) {
                        InvalidArgumentException e = new InvalidArgumentException("jar", "carries Bundle-SymbolicName '"
                            + v.symbolicName() + "', not '" + expected + "': it cannot replace " + expected);
                        audit(who, action, "refused", v, e.getMessage());
                        throw e;
                    }
                    if (existing == null) {
                        NotFoundException e = new NotFoundException("no bundle '" + expected + "' is installed to be replaced");
                        audit(who, action, "refused", v, e.getMessage());
                        throw e;
                    }
                }
                return existing == null ? install(v, who, action) : update(existing, v, who, action);
            }
        } finally {
            delete(staged);
        }
    }

    private Path stage(InputStream in, long max, String who, String action) {
        Path dir = config.dataDir().resolve("deploy-staging");
        Path file;
        try {
            Files.createDirectories(dir);
            file = Files.createTempFile(dir, "upload-", ".jar");
        } catch (IOException e) {
            throw new IllegalStateException("cannot stage a jar in " + dir + ": " + e.getMessage(), e);
        }
        try (OutputStream out = Files.newOutputStream(file)) {
            byte[] buf = new byte[65536];
            long total = 0;
            for (int n; (n = in.read(buf)) >= 0; ) {
                total += n;
                if (total > max) {
                    InvalidArgumentException e = new InvalidArgumentException("jar", "is larger than " + max + " bytes (maxJarBytes)");
                    audit(who, action, "refused", null, null, null, null, e.getMessage());
                    throw e;
                }
                out.write(buf, 0, n);
            }
            if (total == 0) {
                InvalidArgumentException e = new InvalidArgumentException("jar", "is empty");
                audit(who, action, "refused", null, null, null, null, e.getMessage());
                throw e;
            }
            return file;
        } catch (IOException e) {
            delete(file);
            throw new InvalidArgumentException("jar", "could not be read: " + e.getMessage());
        } catch (RuntimeException e) {
            delete(file);
            throw e;
        }
    }

    private DeployedBundle install(VerifiedJar v, String who, String action) {
        Bundle b;
        try (InputStream in = Files.newInputStream(v.file())) {
            b = context.installBundle(LOCATION_PREFIX + v.symbolicName(), in);
        } catch (BundleException | IOException e) {
            InvalidArgumentException ex = new InvalidArgumentException("jar", "was refused by the framework: " + e.getMessage());
            audit(who, action, "refused", v, ex.getMessage());
            throw ex;
        }
        if (!v.fragment()) {
            try {
                b.start();
            } catch (BundleException | RuntimeException e) {
                String cause = rootCause(e);
                try {
                    b.uninstall();
                    refreshIfPending(b);
                } catch (BundleException | RuntimeException ex) {
                    LOG.log(Level.ERROR, "could not take back bundle " + v.symbolicName() + " after it failed to start", ex);
                }
                InvalidArgumentException ex = new InvalidArgumentException("jar", v.symbolicName() + " " + v.version()
                    + " did not start: " + cause + "; it was uninstalled again, nothing changed");
                audit(who, action, "rolled-back", v, ex.getMessage());
                throw ex;
            }
        }
        remember(b, v);
        audit(who, action, "installed", v, null);
        return view(b).withOutcome("installed");
    }

    private DeployedBundle update(Bundle existing, VerifiedJar v, String who, String action) {
        if (existing.getBundleId() == 0 || existing.equals(context.getBundle())) {
            ConflictException e = new ConflictException("bundle " + v.symbolicName()
                + " cannot be updated through deployment (it is the framework or the deployment service itself)");
            audit(who, action, "refused", v, e.getMessage());
            throw e;
        }
        DeployedBundle before = view(existing);
        if (v.sha256().equals(before.sha256())) {
            audit(who, action, "unchanged", v, "the same jar is installed already");
            return before.withOutcome("unchanged");
        }
        Optional<Path> current = BundleJars.current(existing);
        if (current.isEmpty()) {
            ConflictException e = new ConflictException("bundle " + v.symbolicName()
                + " cannot be updated: the jar it runs from cannot be read back for a rollback");
            audit(who, action, "refused", v, e.getMessage());
            throw e;
        }
        Path previous;
        try {
            previous = Files.createTempFile(config.dataDir().resolve("deploy-staging"), "previous-", ".jar");
            Files.copy(current.get(), previous, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new IllegalStateException("cannot keep a copy of " + v.symbolicName() + " for a rollback: " + e.getMessage(), e);
        }
        try {
            int stateBefore = existing.getState();
            boolean wasActive = stateBefore == Bundle.ACTIVE || stateBefore == Bundle.STARTING;
            long stamp = existing.getLastModified();
            Exception startError = null;
            try (InputStream in = Files.newInputStream(v.file())) {
                existing.update(in);
            } catch (BundleException | IOException e) {
                // The framework may have updated the bundle and then failed to restart it: that is a failed start.
                if (existing.getLastModified() != stamp) startError = e;
                else {
                InvalidArgumentException ex = new InvalidArgumentException("jar", "was refused by the framework: " + e.getMessage()
                    + "; " + v.symbolicName() + " " + before.version() + " is unchanged");
                audit(who, action, "refused", v, ex.getMessage());
                throw ex;
                }
            }
            try {
                if (startError != null) throw startError;
                if (!v.fragment()) existing.start();
            } catch (Exception e) {
                String cause = rootCause(e);
                String back = rollback(existing, previous, wasActive);
                InvalidArgumentException ex = new InvalidArgumentException("jar", v.symbolicName() + " " + v.version()
                    + " did not start: " + cause + "; " + back);
                audit(who, action, "rolled-back", v, ex.getMessage());
                throw ex;
            }
            Set<String> refreshed = refreshIfPending(existing);
            remember(existing, v);
            audit(who, action, "updated", v, "from " + before.version() + " (sha256 " + before.sha256() + ")"
                + (refreshed.isEmpty() ? "; nothing refreshed" : "; refreshed " + refreshed));
            return view(existing).withOutcome("updated");
        } finally {
            delete(previous);
        }
    }

    private String rollback(Bundle bundle, Path previous, boolean wasActive) {
        try (InputStream in = Files.newInputStream(previous)) {
            bundle.update(in);
            if (wasActive) bundle.start();
            refreshIfPending(bundle);
            return "rolled back to " + bundle.getVersion() + " as it was (" + state(bundle.getState()) + ")";
        } catch (BundleException | IOException | RuntimeException e) {
            LOG.log(Level.ERROR, "rollback of " + bundle.getSymbolicName() + " failed", e);
            return "the rollback to the previous jar failed too: " + rootCause(e);
        }
    }

    @Override
    public DeployedBundle undeploy(String symbolicName, String who) {
        String w = who(who);
        if (symbolicName == null || symbolicName.isBlank())
            throw new InvalidArgumentException("symbolicName", "is required (the Bundle-SymbolicName of the bundle to remove)");
        synchronized (deploying) {
            Bundle b = find(symbolicName.strip());
            if (b == null) {
                NotFoundException e = new NotFoundException("no bundle '" + symbolicName.strip() + "' is installed");
                audit(w, "undeploy", "refused", symbolicName, null, null, null, e.getMessage());
                throw e;
            }
            DeployedBundle before = view(b);
            if (b.getBundleId() == 0 || b.equals(context.getBundle())) {
                ConflictException e = new ConflictException("bundle " + symbolicName
                    + " cannot be undeployed (it is the framework or the deployment service itself)");
                audit(w, "undeploy", "refused", before.symbolicName(), before.version(), before.sha256(), before.signer(), e.getMessage());
                throw e;
            }
            try {
                b.uninstall();
            } catch (BundleException e) {
                throw new ConflictException("bundle " + symbolicName + " could not be uninstalled: " + e.getMessage());
            }
            Set<String> refreshed = refreshIfPending(b);
            known.remove(b.getBundleId());
            audit(w, "undeploy", "uninstalled", before.symbolicName(), before.version(), before.sha256(), before.signer(),
                refreshed.isEmpty() ? "nothing refreshed" : "refreshed " + refreshed);
            return new DeployedBundle(before.id(), before.symbolicName(), before.version(), state(Bundle.UNINSTALLED),
                before.signer(), before.trusted(), before.sha256(), before.location(), "uninstalled");
        }
    }

    @Override
    public List<DeployedBundle> list() {
        List<DeployedBundle> all = new ArrayList<>();
        for (Bundle b : context.getBundles()) all.add(view(b));
        return all;
    }

    /** The installed bundle with this symbolic name; if several versions are, the one deployment installed. */
    Bundle find(String symbolicName) {
        List<Bundle> matches = new ArrayList<>();
        for (Bundle b : context.getBundles()) if (symbolicName.equals(b.getSymbolicName())) matches.add(b);
        if (matches.size() <= 1) return matches.isEmpty() ? null : matches.get(0);
        for (Bundle b : matches) if (b.getLocation().startsWith(LOCATION_PREFIX)) return b;
        throw new ConflictException("bundle " + symbolicName + " is installed in " + matches.size()
            + " versions; remove the extra ones with the shell first");
    }

    DeployedBundle view(Bundle b) {
        Known k = known.get(b.getBundleId());
        if (k == null || k.lastModified() != b.getLastModified()) {
            k = inspect(b);
            known.put(b.getBundleId(), k);
        }
        return new DeployedBundle(b.getBundleId(), b.getSymbolicName(), b.getVersion().toString(), state(b.getState()),
            k.signer(), k.trusted(), k.sha256(), b.getLocation(), "");
    }

    private void remember(Bundle b, VerifiedJar v) {
        known.put(b.getBundleId(), new Known(b.getLastModified(), v.sha256(), v.signer(), v.trusted()));
    }

    /** Digest and signer of a bundle that deployment did not check itself (installed at start, by the shell...). */
    private Known inspect(Bundle b) {
        Optional<Path> jar = BundleJars.current(b);
        if (jar.isEmpty()) return new Known(b.getLastModified(), null, null, false);
        String digest = digestOrNull(jar.get());
        String signer = null;
        boolean trusted = false;
        try (JarFile jf = new JarFile(jar.get().toFile(), true)) {
            JarVerifier.Signature s = JarVerifier.signature(jf);
            signer = s.signer();
            if (signer != null) {
                DeployConfig c = config;
                if (c != null && c.trustStore() != null) {
                    try {
                        trusted = TrustAnchors.load(c.trustStore(), c.trustStorePassword(), c.trustStoreType()).refusal(s.chain()) == null;
                    } catch (InvalidArgumentException e) {
                        trusted = false;
                    }
                }
            }
        } catch (IOException | SecurityException e) {
            signer = null;
        }
        return new Known(b.getLastModified(), digest, signer, trusted);
    }

    /**
     * Refreshes {@code bundle} when the framework still keeps an old revision of it (it was updated or uninstalled
     * while other bundles were wired to it) and waits for the refresh; returns the bundles it touched (the
     * bundle's dependency closure), empty when nothing needed it.
     */
    Set<String> refreshIfPending(Bundle bundle) {
        FrameworkWiring wiring = context.getBundle(0).adapt(FrameworkWiring.class);
        Collection<Bundle> pending = wiring.getRemovalPendingBundles();
        if (!pending.contains(bundle)) return Set.of();
        Set<String> closure = wiring.getDependencyClosure(Set.of(bundle)).stream()
            .map(x -> x.getSymbolicName() + " [" + x.getBundleId() + "]").collect(Collectors.toCollection(java.util.TreeSet::new));
        CountDownLatch done = new CountDownLatch(1);
        AtomicReference<Throwable> error = new AtomicReference<>();
        wiring.refreshBundles(Set.of(bundle), event -> {
            if (event.getType() == FrameworkEvent.ERROR) error.set(event.getThrowable());
            if (event.getType() == FrameworkEvent.PACKAGES_REFRESHED) done.countDown();
        });
        try {
            if (!done.await(REFRESH_WAIT_SECONDS, TimeUnit.SECONDS))
                LOG.log(Level.WARNING, "refresh of " + closure + " did not finish within " + REFRESH_WAIT_SECONDS + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LOG.log(Level.INFO, "refreshed " + closure + " (they used the old revision of " + bundle.getSymbolicName() + ")");
        return closure;
    }

    static String state(int state) {
        return switch (state) {
            case Bundle.UNINSTALLED -> "UNINSTALLED";
            case Bundle.INSTALLED -> "INSTALLED";
            case Bundle.RESOLVED -> "RESOLVED";
            case Bundle.STARTING -> "STARTING";
            case Bundle.STOPPING -> "STOPPING";
            case Bundle.ACTIVE -> "ACTIVE";
            default -> "UNKNOWN(" + state + ")";
        };
    }

    static String rootCause(Throwable t) {
        Throwable root = t;
        StringBuilder out = new StringBuilder(String.valueOf(t.getMessage()));
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
            out.append(" <- ").append(root.getClass().getSimpleName()).append(": ").append(root.getMessage());
        }
        return out.toString();
    }

    /** Symbolic name and version from a refused jar's manifest, without trusting it, for the audit log; nulls if unreadable. */
    private static String[] peek(Path file) {
        try (JarFile jar = new JarFile(file.toFile(), false)) {
            java.util.jar.Manifest mf = jar.getManifest();
            if (mf == null) return new String[2];
            String bsn = mf.getMainAttributes().getValue("Bundle-SymbolicName");
            return new String[] {bsn == null ? null : bsn.split(";", 2)[0].strip(), mf.getMainAttributes().getValue("Bundle-Version")};
        } catch (IOException | RuntimeException e) {
            return new String[2];
        }
    }

    private static String digestOrNull(Path file) {
        try {
            return JarVerifier.sha256(file);
        } catch (RuntimeException e) {
            return null;
        }
    }

    private void audit(String who, String action, String outcome, VerifiedJar v, String detail) {
        audit(who, action, outcome, v.symbolicName(), v.version(), v.sha256(), v.signer(), detail);
    }

    private void audit(String who, String action, String outcome, String bundle, String version, String sha256, String signer,
                       String detail) {
        AuditLog log = audit;
        if (log == null) log = new AuditLog(Path.of("data", "deploy-audit.log"));
        log.write(new AuditLog.Entry(who, action, outcome, bundle, version, sha256, signer, detail));
    }

    private static void delete(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "could not delete " + p + ": " + e.getMessage());
        }
    }
}
