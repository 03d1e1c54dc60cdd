package io.limiquantix.node.gpu.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The one door to sysfs. Every path the bundle reads or writes is resolved under {@link #root()} (normally
 * {@code /sys}), so tests can point the whole bundle at a tree they built. Reads are lenient (a missing
 * attribute is "unknown"); writes are strict, because every write is a command to the kernel.
 *
 * <p>Not final: a test stands in for the kernel by overriding {@link #write} and reacting to the writes the
 * way the kernel would (see the test fixture {@code SimulatedKernelSysfs}).
 */
class Sysfs {
    private final Path root;

    Sysfs(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    Path root() {
        return root;
    }

    /** A path under the root; {@code relative} never starts with '/'. */
    Path path(String relative) {
        return root.resolve(relative);
    }

    Path pciDevices() {
        return path("bus/pci/devices");
    }

    Path pciDevice(String address) {
        return pciDevices().resolve(address);
    }

    Path pciDrivers() {
        return path("bus/pci/drivers");
    }

    Path iommuGroups() {
        return path("kernel/iommu_groups");
    }

    Path mdevParents() {
        return path("class/mdev_bus");
    }

    Path mdevDevices() {
        return path("bus/mdev/devices");
    }

    /** The attribute's content without the trailing newline, or empty when it does not exist or cannot be read. */
    Optional<String> read(Path attribute) {
        try {
            return Optional.of(Files.readString(attribute, StandardCharsets.US_ASCII).strip());
        } catch (IOException | RuntimeException e) {
            // sysfs attributes can also refuse reads (EIO on a device that fell off the bus): same as unknown.
            return Optional.empty();
        }
    }

    /**
     * The last path element of a symbolic link's target: the driver of {@code driver}, the group number of
     * {@code iommu_group}. The kernel's links are relative and their depth depends on where the device sits
     * in the hierarchy, so only the name is meaningful.
     */
    Optional<String> linkName(Path link) {
        try {
            if (!Files.isSymbolicLink(link)) return Optional.empty();
            Path target = Files.readSymbolicLink(link).getFileName();
            return target == null ? Optional.empty() : Optional.of(target.toString());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The names in a directory, sorted; empty when it does not exist. */
    List<String> list(Path directory) {
        if (!Files.isDirectory(directory)) return List.of();
        try (Stream<Path> s = Files.list(directory)) {
            List<String> names = new ArrayList<>();
            s.forEach(p -> names.add(p.getFileName().toString()));
            names.sort(null);
            return names;
        } catch (IOException e) {
            return List.of();
        }
    }

    boolean exists(Path path) {
        return Files.exists(path);
    }

    /**
     * Writes {@code value} to a kernel attribute in a single {@code write(2)}: sysfs hands each write call to
     * the attribute's store function whole, so splitting it would send the kernel two commands. The file is
     * never created: a missing attribute means the kernel does not offer the operation, and creating a
     * regular file in its place would hide that. The kernel's refusal (ENODEV, EBUSY, EINVAL) surfaces as
     * the IOException's message.
     */
    void write(Path attribute, String value) throws IOException {
        byte[] bytes = value.getBytes(StandardCharsets.US_ASCII);
        try (FileChannel ch = FileChannel.open(attribute, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            int written = ch.write(ByteBuffer.wrap(bytes));
            if (written != bytes.length)
                throw new IOException("short write to " + attribute + ": " + written + " of " + bytes.length + " bytes");
        } catch (NoSuchFileException e) {
            throw new IOException(attribute + " does not exist", e);
        }
    }
}
