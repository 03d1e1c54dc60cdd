package io.limiquantix.node.gpu.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A stand-in for the kernel behind a {@link SysfsTree}: it lets every write land in the file (so a test can
 * read what was written) and records it, then reacts the way the kernel's documented store functions do
 * (Documentation/ABI/testing/sysfs-bus-pci, Documentation/driver-api/vfio-mediated-device.rst):
 * <ul>
 * <li>{@code driver_override}: one trailing newline is stripped; empty clears it, which reads back as
 *     {@code (null)};</li>
 * <li>{@code drivers/<drv>/unbind}: the device leaves the driver (ENODEV when it is not bound to it);</li>
 * <li>{@code drivers/<drv>/bind}: the device joins the driver, unless an override names another one;</li>
 * <li>{@code drivers_probe}: an unbound device is offered to the override's driver if set, otherwise to its
 *     native driver;</li>
 * <li>{@code mdev_supported_types/<type>/create}: a mediated device with that UUID appears, with its own
 *     IOMMU group, and one fewer instance is available; {@code <uuid>/remove} with "1" undoes it.</li>
 * </ul>
 * It is a simulation of documented behaviour for tests, not a model of any particular kernel's quirks.
 */
final class SimulatedKernelSysfs extends Sysfs {
    private static final Pattern UUID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    private final SysfsTree tree;
    private final Path realRoot;
    /** Every write, as {@code <path as written, relative to the root> <- <value>}. */
    final List<String> writes = new ArrayList<>();
    private Predicate<String> failing = w -> false;
    /** Devices the simulated probe leaves alone, as a driver that refuses the device would. */
    private Predicate<String> probeRefuses = a -> false;

    SimulatedKernelSysfs(SysfsTree tree) {
        super(tree.root);
        this.tree = tree;
        try {
            this.realRoot = tree.root.toRealPath();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Makes the matching write fail the way the kernel refuses a store (the write returns an error). */
    SimulatedKernelSysfs failWrite(Predicate<String> write) {
        this.failing = write;
        return this;
    }

    /** Makes {@code drivers_probe} find no driver for the matching addresses. */
    SimulatedKernelSysfs probeRefuses(Predicate<String> address) {
        this.probeRefuses = address;
        return this;
    }

    @Override
    void write(Path attribute, String value) throws IOException {
        String entry = root().relativize(attribute.toAbsolutePath().normalize()) + " <- " + printable(value);
        writes.add(entry);
        if (failing.test(entry)) throw new IOException("simulated kernel refused: " + entry);
        super.write(attribute, value);
        String where = realRoot.relativize(attribute.toRealPath()).toString();
        String arg = value.endsWith("\n") ? value.substring(0, value.length() - 1) : value;
        String[] parts = where.split("/");
        String name = parts[parts.length - 1];
        if (where.equals("bus/pci/drivers_probe")) probe(arg);
        else if (where.startsWith("bus/pci/drivers/") && name.equals("unbind")) unbind(parts[3], arg);
        else if (where.startsWith("bus/pci/drivers/") && name.equals("bind")) bind(parts[3], arg);
        else if (name.equals("driver_override")) tree.write(attribute, arg.isEmpty() ? "(null)" : arg);
        else if (name.equals("create") && parts.length >= 3 && parts[parts.length - 3].equals("mdev_supported_types"))
            createMdev(attribute.toRealPath().getParent(), arg);
        else if (name.equals("remove") && UUID.matcher(parts[parts.length - 2]).matches()) removeMdev(attribute.toRealPath().getParent(), arg);
    }

    private void probe(String address) throws IOException {
        Path dev = existingDevice(address);
        if (Files.isSymbolicLink(dev.resolve("driver"))) return;
        String override = Files.readString(dev.resolve("driver_override")).strip();
        String candidate = override.equals("(null)") ? tree.nativeDriver(address) : override;
        if (candidate == null || probeRefuses.test(address)) return;
        if (!Files.isDirectory(tree.root.resolve("bus/pci/drivers").resolve(candidate))) return;
        tree.bindLinks(address, candidate);
    }

    private void unbind(String driver, String address) throws IOException {
        existingDevice(address);
        if (!driver.equals(tree.driverOf(address))) throw new IOException("No such device (" + address + " is not bound to " + driver + ")");
        tree.unbindLinks(address, driver);
    }

    private void bind(String driver, String address) throws IOException {
        Path dev = existingDevice(address);
        if (tree.driverOf(address) != null) throw new IOException("Device or resource busy");
        String override = Files.readString(dev.resolve("driver_override")).strip();
        if (!override.equals("(null)") && !override.equals(driver)) throw new IOException("No such device (override " + override + ")");
        tree.bindLinks(address, driver);
    }

    private void createMdev(Path typeDir, String uuid) throws IOException {
        if (!UUID.matcher(uuid).matches()) throw new IOException("Invalid argument");
        int available = Integer.parseInt(Files.readString(typeDir.resolve("available_instances")).strip());
        if (available < 1) throw new IOException("No space left on device");
        Path mdevs = tree.root.resolve("bus/mdev/devices");
        if (Files.exists(mdevs.resolve(uuid))) throw new IOException("File exists");
        Path parentDir = typeDir.getParent().getParent();
        Path dev = parentDir.resolve(uuid);
        Files.createDirectories(dev);
        tree.write(dev.resolve("remove"), "");
        tree.link(dev.resolve("mdev_type"), typeDir);
        int group = nextGroup();
        Path g = tree.root.resolve("kernel/iommu_groups").resolve(Integer.toString(group));
        Files.createDirectories(g.resolve("devices"));
        tree.link(g.resolve("devices").resolve(uuid), dev);
        tree.link(dev.resolve("iommu_group"), g);
        tree.link(mdevs.resolve(uuid), dev);
        tree.link(typeDir.resolve("devices").resolve(uuid), dev);
        tree.write(typeDir.resolve("available_instances"), Integer.toString(available - 1));
    }

    private void removeMdev(Path dev, String arg) throws IOException {
        if (!arg.equals("1")) throw new IOException("Invalid argument");
        String uuid = dev.getFileName().toString();
        Path typeDir = dev.resolve("mdev_type").toRealPath();
        Path group = dev.resolve("iommu_group").toRealPath();
        Files.deleteIfExists(tree.root.resolve("bus/mdev/devices").resolve(uuid));
        Files.deleteIfExists(typeDir.resolve("devices").resolve(uuid));
        deleteTree(group);
        deleteTree(dev);
        int available = Integer.parseInt(Files.readString(typeDir.resolve("available_instances")).strip());
        tree.write(typeDir.resolve("available_instances"), Integer.toString(available + 1));
    }

    private int nextGroup() throws IOException {
        try (Stream<Path> s = Files.list(tree.root.resolve("kernel/iommu_groups"))) {
            return s.mapToInt(p -> Integer.parseInt(p.getFileName().toString())).max().orElse(-1) + 1;
        }
    }

    private Path existingDevice(String address) throws IOException {
        Path dev = tree.root.resolve("bus/pci/devices").resolve(address);
        if (!Files.exists(dev)) throw new IOException("No such device: " + address);
        return dev;
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }

    private static String printable(String value) {
        return value.replace("\n", "\\n");
    }
}
