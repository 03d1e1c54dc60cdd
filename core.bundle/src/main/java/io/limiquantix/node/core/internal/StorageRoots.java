package io.limiquantix.node.core.internal;

import io.limiquantix.node.api.BootSource;
import io.limiquantix.node.api.DiskSpec;
import io.limiquantix.node.api.InvalidArgumentException;
import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.api.storage.DiskSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The directories a VM's local files may come from. A VM spec must not be a way to read the host's files:
 * {@code /etc/shadow} as a disk, or a kernel from anywhere, would hand them to the guest.
 *
 * <p>The spec's own validation already refuses relative paths and {@code ..} segments; this check is the
 * second line and also follows symbolic links for FILE sources, so a link inside a root that points outside
 * is refused too. BLOCK sources are checked on their lexical path only: {@code /dev/disk/by-id} links point
 * at device nodes by design.
 */
final class StorageRoots {
    private final List<Path> roots;
    private final List<Path> realRoots;

    StorageRoots(List<Path> roots) {
        this.roots = roots.stream().map(Path::normalize).toList();
        this.realRoots = this.roots.stream().map(StorageRoots::real).toList();
    }

    List<Path> roots() {
        return roots;
    }

    /** Every local path of the spec: FILE and BLOCK disks, the direct-boot kernel and initrd. */
    void check(VmSpec spec) {
        for (int i = 0; i < spec.disks().size(); i++) checkDisk("disks[" + i + "]", spec.disks().get(i));
        BootSource boot = spec.boot();
        if (boot.kind() == BootSource.Kind.KERNEL) {
            checkPath("boot.kernel", boot.kernel(), true);
            if (boot.initrd() != null) checkPath("boot.initrd", boot.initrd(), true);
        }
    }

    void checkDisk(String field, DiskSpec disk) {
        DiskSource s = disk.source();
        if (s.kind() == DiskSource.Kind.FILE) checkPath(field + ".source.path", s.path(), true);
        else if (s.kind() == DiskSource.Kind.BLOCK) checkPath(field + ".source.path", s.path(), false);
    }

    void checkPath(String field, String value, boolean followLinks) {
        Path p = Path.of(value);
        if (!p.isAbsolute()) throw new InvalidArgumentException(field, "must be an absolute path");
        Path lexical = p.normalize();
        if (roots.stream().noneMatch(r -> lexical.startsWith(r) && !lexical.equals(r)))
            throw outside(field, value);
        Path real = followLinks ? real(lexical) : lexical;
        if (followLinks && (real == null || realRoots.stream().noneMatch(r -> r != null && real.startsWith(r))))
            throw new InvalidArgumentException(field, "'" + value + "' resolves (through a symbolic link) to a file outside "
                + describe());
    }

    private InvalidArgumentException outside(String field, String value) {
        return new InvalidArgumentException(field, "'" + value + "' is outside " + describe());
    }

    private String describe() {
        return roots.isEmpty() ? "the storage roots (none are configured: set " + NodeConfig.STORAGE_ROOTS + ")"
            : "the storage roots " + roots.stream().map(Path::toString).collect(Collectors.joining(", "));
    }

    /**
     * The path with every existing component's links resolved; the part that does not exist yet is kept as
     * written. A disk file that does not exist yet is thereby judged by its directory. A link that points
     * nowhere yet is judged by where it points (a file created through it would land there), and a link loop
     * resolves to null, which no root contains. (Dangling links and loops were found by StorageRootsEscapeTest.)
     */
    static Path real(Path p) {
        return real(p, 0);
    }

    private static final int MAX_LINKS = 40;

    private static Path real(Path p, int links) {
        if (links > MAX_LINKS) return null;
        Path existing = p;
        Path rest = null;
        while (existing != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
            Path name = existing.getFileName();
            rest = rest == null ? name : name.resolve(rest);
            existing = existing.getParent();
        }
        if (existing == null) return p;
        try {
            Path r = existing.toRealPath();
            return rest == null ? r : r.resolve(rest).normalize();
        } catch (IOException e) {
            // A component is a link whose target does not exist (or a loop): follow it by hand.
            if (!Files.isSymbolicLink(existing)) return links == 0 ? p : null;
            try {
                Path target = Files.readSymbolicLink(existing);
                Path parent = existing.getParent();
                Path followed = target.isAbsolute() || parent == null ? target : parent.resolve(target);
                return real(rest == null ? followed : followed.resolve(rest), links + 1);
            } catch (IOException unreadable) {
                return null;
            }
        }
    }
}
