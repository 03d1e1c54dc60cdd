package io.limiquantix.node.deploy.internal;

import java.io.File;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;
import org.osgi.framework.Bundle;

/**
 * Where the jar a bundle currently runs from can be read: Felix's bundle cache keeps the bytes of each revision
 * in {@code <storage>/bundle<id>/version<n>.<r>/bundle.jar} (the highest revision is the current one); a
 * bundle installed by reference runs from its {@code file:} location. Used for the digest and signer in
 * listings and for the copy kept for a rollback. Empty when neither exists (another framework).
 */
final class BundleJars {
    private BundleJars() {
    }

    static Optional<Path> current(Bundle bundle) {
        File data = bundle.getDataFile("");
        if (data != null && data.getParentFile() != null) {
            Path dir = data.getParentFile().toPath();
            try (Stream<Path> revisions = Files.list(dir)) {
                Optional<Path> jar = revisions.filter(p -> p.getFileName().toString().matches("version\\d+\\.\\d+"))
                    .max(Comparator.comparingLong(BundleJars::revision))
                    .map(p -> p.resolve("bundle.jar")).filter(Files::isRegularFile);
                if (jar.isPresent()) return jar;
            } catch (java.io.IOException | RuntimeException e) {
                // fall through to the location
            }
        }
        String location = bundle.getLocation();
        if (location != null) {
            String l = location.startsWith("reference:") ? location.substring("reference:".length()) : location;
            if (l.startsWith("file:")) {
                try {
                    Path p = Path.of(URI.create(l));
                    if (Files.isRegularFile(p)) return Optional.of(p);
                } catch (RuntimeException e) {
                    // not a file URI we can read
                }
            }
        }
        return Optional.empty();
    }

    /** version{n}.{r}: refresh generation n, revision r, ordered as one number. */
    private static long revision(Path p) {
        String[] parts = p.getFileName().toString().substring("version".length()).split("\\.");
        return Long.parseLong(parts[0]) * 1_000_000L + Long.parseLong(parts[1]);
    }
}
