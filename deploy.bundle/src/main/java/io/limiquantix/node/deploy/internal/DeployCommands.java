package io.limiquantix.node.deploy.internal;

import io.limiquantix.node.api.HypervisorException;
import io.limiquantix.node.deploy.DeployService;
import io.limiquantix.node.deploy.DeployedBundle;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.felix.service.command.Descriptor;

/**
 * {@code lq:bundles}, {@code lq:deploy}, {@code lq:swap} and {@code lq:undeploy}: the deployment service from the
 * Gogo shell, with the same checks as every other way in. Errors come back as one line.
 */
public final class DeployCommands {
    static final String[] FUNCTIONS = {"bundles", "deploy", "swap", "undeploy"};

    private final DeployService deploy;

    DeployCommands(DeployService deploy) {
        this.deploy = deploy;
    }

    @Descriptor("lists the bundles: id, state, symbolic name, version, signer and SHA-256 digest")
    public String bundles() {
        return guarded(() -> {
            List<DeployedBundle> all = deploy.list();
            StringBuilder out = new StringBuilder(String.format("%4s %-11s %-48s %-16s %-14s %s%n", "ID", "STATE", "NAME",
                "VERSION", "SHA-256", "SIGNER"));
            for (DeployedBundle b : all)
                out.append(String.format("%4d %-11s %-48s %-16s %-14s %s%n", b.id(), b.state(), b.symbolicName(), b.version(),
                    b.sha256() == null ? "-" : b.sha256().substring(0, 12) + "..",
                    b.signer() == null ? "unsigned" : b.signer() + (b.trusted() ? "" : " (not trusted)")));
            return out.toString();
        });
    }

    @Descriptor("deploys a signed bundle jar: installs it, or updates the installed bundle of the same symbolic name")
    public String deploy(@Descriptor("a jar file's path or a URL") String jar) {
        return guarded(() -> {
            try (InputStream in = open(jar)) {
                return describe(deploy.deploy(in, who()));
            }
        });
    }

    @Descriptor("replaces an installed bundle by a newer build (the jar must carry the same symbolic name)")
    public String swap(@Descriptor("the bundle's symbolic name or id") String bundle,
                       @Descriptor("a jar file's path or a URL") String jar) {
        return guarded(() -> {
            String name = symbolicName(bundle);
            try (InputStream in = open(jar)) {
                return describe(deploy.swap(name, in, who()));
            }
        });
    }

    @Descriptor("stops and uninstalls a bundle")
    public String undeploy(@Descriptor("the bundle's symbolic name or id") String bundle) {
        return guarded(() -> describe(deploy.undeploy(symbolicName(bundle), who())));
    }

    private String symbolicName(String bundle) {
        if (bundle.chars().allMatch(Character::isDigit) && !bundle.isEmpty()) {
            long id = Long.parseLong(bundle);
            return deploy.list().stream().filter(b -> b.id() == id).map(DeployedBundle::symbolicName).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no bundle with id " + id));
        }
        return bundle;
    }

    private static InputStream open(String jar) throws IOException {
        if (jar == null || jar.isBlank()) throw new IllegalArgumentException("give a jar's path or URL");
        Path p = Path.of(jar);
        if (Files.isRegularFile(p)) return Files.newInputStream(p);
        if (jar.matches("^[a-zA-Z][a-zA-Z0-9+.-]*:.*")) return URI.create(jar).toURL().openStream();
        throw new IllegalArgumentException("no file " + p.toAbsolutePath());
    }

    private static String who() {
        return "shell:" + System.getProperty("user.name", "?");
    }

    static String describe(DeployedBundle b) {
        return b.symbolicName() + " " + b.version() + " " + b.outcome() + " (bundle " + b.id() + ", " + b.state() + ", sha256 "
            + b.sha256() + ", signer " + (b.signer() == null ? "none" : b.signer()) + ")";
    }

    @FunctionalInterface
    private interface Body {
        String run() throws Exception;
    }

    private static String guarded(Body body) {
        try {
            return body.run();
        } catch (HypervisorException | IllegalArgumentException e) {
            return "error: " + e.getMessage();
        } catch (IOException e) {
            return "error: cannot read the jar: " + e.getMessage();
        } catch (Exception e) {
            return "error: " + e;
        }
    }
}
