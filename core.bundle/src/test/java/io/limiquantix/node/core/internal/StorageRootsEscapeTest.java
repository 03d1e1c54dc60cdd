package io.limiquantix.node.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.limiquantix.node.api.InvalidArgumentException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Disk, kernel and initrd paths stay inside the configured roots whatever symbolic links lie on the way
 * (issue #10): a link to a file outside, a link to a directory outside, relative links, chains, links that
 * point nowhere yet (a file created later through them would land outside), and link loops.
 */
class StorageRootsEscapeTest {
    @TempDir
    Path tmp;
    Path root;
    Path other;
    Path outside;
    StorageRoots roots;

    @BeforeEach
    void setUp() throws Exception {
        root = Files.createDirectories(tmp.resolve("images"));
        other = Files.createDirectories(tmp.resolve("isos"));
        outside = Files.createDirectories(tmp.resolve("etc"));
        Files.writeString(outside.resolve("shadow"), "secret");
        Files.writeString(root.resolve("disk.img"), "x");
        Files.writeString(other.resolve("boot.iso"), "x");
        roots = new StorageRoots(List.of(root, other));
    }

    private void accepted(Path p) {
        roots.checkPath("disks[0].source.path", p.toString(), true);
    }

    private void refused(Path p) {
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
            () -> roots.checkPath("disks[0].source.path", p.toString(), true), p + " must be refused");
        assertEquals("disks[0].source.path", e.field());
    }

    @Test
    void plainFilesInsideAreAcceptedAndOutsideRefused() {
        accepted(root.resolve("disk.img"));
        accepted(root.resolve("not-yet.qcow2"));
        accepted(other.resolve("boot.iso"));
        refused(outside.resolve("shadow"));
        refused(root);
        refused(Path.of(root + "2", "x"));
    }

    @Test
    void linksToFilesOrDirectoriesOutsideAreRefused() throws Exception {
        refused(Files.createSymbolicLink(root.resolve("abs.img"), outside.resolve("shadow")));
        refused(Files.createSymbolicLink(root.resolve("rel.img"), Path.of("../etc/shadow")));
        Path dirLink = Files.createSymbolicLink(root.resolve("sub"), outside);
        refused(dirLink.resolve("shadow"));
        refused(dirLink.resolve("new.qcow2"));
        Path hop = Files.createSymbolicLink(root.resolve("hop2"), outside.resolve("shadow"));
        refused(Files.createSymbolicLink(root.resolve("hop1"), hop));
    }

    @Test
    void linksBetweenRootsAreAccepted() throws Exception {
        accepted(Files.createSymbolicLink(root.resolve("cd.iso"), other.resolve("boot.iso")));
        accepted(Files.createSymbolicLink(root.resolve("same.img"), Path.of("disk.img")));
    }

    @Test
    void aDanglingLinkIsJudgedByWhereItPoints() throws Exception {
        // Nothing exists at the target yet: a disk created through this link would be written outside the root.
        refused(Files.createSymbolicLink(root.resolve("later.qcow2"), outside.resolve("created-later.qcow2")));
        refused(Files.createSymbolicLink(root.resolve("later-rel.qcow2"), Path.of("../etc/new/deeper.qcow2")));
        accepted(Files.createSymbolicLink(root.resolve("later-in.qcow2"), Path.of("fresh.qcow2")));
    }

    @Test
    void aLinkLoopIsRefused() throws Exception {
        Path a = root.resolve("loop-a");
        Path b = root.resolve("loop-b");
        Files.createSymbolicLink(a, b);
        Files.createSymbolicLink(b, a);
        refused(a);
        refused(a.resolve("x.img"));
    }
}
