package io.limiquantix.node.libvirt.internal.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.limiquantix.node.api.Accelerator;
import io.limiquantix.node.api.DiskSpec;
import io.limiquantix.node.api.Firmware;
import io.limiquantix.node.api.GraphicsSpec;
import io.limiquantix.node.api.GuestOs;
import io.limiquantix.node.api.NicSpec;
import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.api.storage.DiskSource;
import io.limiquantix.node.libvirt.internal.domain.DomainMapper;
import io.limiquantix.node.libvirt.internal.domain.DomainXmlWriter;
import io.limiquantix.node.libvirt.internal.domain.HostTarget;
import io.limiquantix.node.libvirt.internal.domain.XmlDoc;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BiPredicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.w3c.dom.Element;
import org.w3c.dom.NamedNodeMap;
import org.w3c.dom.Node;

/**
 * The Windows profile against {@code virt-install --print-xml --dry-run --os-variant X --import} (Debian
 * {@code virtinst}) for the same VM: 2 vCPUs, 4 GiB, one qcow2 disk, one NIC on a bridge, VNC. Both
 * documents are flattened into element lines ({@code path[attr=value,…] text}, every element of the whole
 * document) and compared as multisets; the differences must be exactly {@link #DELIBERATE} — so the test
 * fails when virt-install's output or ours changes in any element. Every variant under TCG ({@code
 * --virt-type qemu} against our TCG mapping with the Hyper-V set QEMU accepts here), and the two the issue
 * names under KVM ({@code --virt-type kvm} against our KVM mapping; the other KVM variants differ from these
 * only where the TCG runs already look). The list with its reasons is in the bundle README.
 *
 * <p>virt-install asks libvirtd for the host's capabilities; it asks a private one (see {@link #privateDaemon}),
 * since it defines a storage pool for the disk's folder even with --dry-run.
 */
class VirtInstallComparisonTest {
    private static final Path VIRT_INSTALL = Path.of("/usr/bin/virt-install");
    private static final Path SCRIPT = Path.of("../run/lib/private-libvirtd.sh").toAbsolutePath().normalize();
    private static final String BRIDGE = "lqcmp0";
    private static Path dir;
    private static Path disk;
    private static String uri;

    /** Attributes that only name, number or secure one instance, or state libvirt's default explicitly. */
    private static final Map<String, Set<String>> NOT_COMPARED = Map.of(
        "memory", Set.of("unit"), "currentMemory", Set.of("unit"), "vcpu", Set.of("placement"),
        "controller", Set.of("index"), "graphics", Set.of("port", "autoport", "passwd"), "hyperv", Set.of("mode"),
        "mac", Set.of("address"));

    record Deliberate(String line, BiPredicate<String, Accelerator> when, String reason) {
    }

    private static BiPredicate<String, Accelerator> always() {
        return (v, a) -> true;
    }

    private static BiPredicate<String, Accelerator> win11() {
        return (v, a) -> v.equals("win11");
    }

    private static BiPredicate<String, Accelerator> kvm() {
        return (v, a) -> a == Accelerator.KVM;
    }

    private static BiPredicate<String, Accelerator> tcg() {
        return (v, a) -> a == Accelerator.TCG;
    }

    /** "+" only in ours, "-" only in virt-install's. Mirrors the table in libvirt.bundle/README.md. */
    static final List<Deliberate> DELIBERATE = List.of(
        new Deliberate("+ domain/metadata/lq:node", always(), "the node's own metadata"),
        new Deliberate("+ domain/metadata/lq:node/lq:os[family=WINDOWS,variant=$V]", always(), "the node's own metadata"),
        new Deliberate("- domain/devices/emulator /usr/bin/qemu-system-x86_64", always(),
            "libvirt picks the emulator from its capabilities; a path fixed here would be wrong on other hosts"),
        new Deliberate("+ domain/on_poweroff destroy", always(), "libvirt's defaults, stated"),
        new Deliberate("+ domain/on_reboot restart", always(), "libvirt's defaults, stated"),
        new Deliberate("+ domain/on_crash destroy", always(), "a crashed guest stays down so the node sees CRASHED (libvirt's default too)"),
        new Deliberate("+ domain/cpu/topology[cores=2,dies=1,sockets=1,threads=1]", always(),
            "one socket with n cores: client Windows uses at most two sockets"),
        new Deliberate("- domain/cpu[mode=host-passthrough]", kvm(), "host-model instead: migratable, libvirt can check a target host"),
        new Deliberate("+ domain/cpu[mode=host-model]", kvm(), "host-model instead of host-passthrough: migratable"),
        new Deliberate("+ domain/cpu[mode=maximum]", tcg(), "virt-install leaves QEMU's qemu64 under TCG, measured unsafe across live migration"),
        new Deliberate("+ domain/features/hyperv/runtime[state=on]", always(), "more enlightenments than virt-install 4.1 (accepted by QEMU here)"),
        new Deliberate("+ domain/features/hyperv/reset[state=on]", always(), "more enlightenments than virt-install 4.1"),
        new Deliberate("+ domain/features/hyperv/frequencies[state=on]", always(), "more enlightenments than virt-install 4.1"),
        new Deliberate("+ domain/features/hyperv/vpindex[state=on]", kvm(), "more enlightenments under KVM (TCG refuses vpindex)"),
        new Deliberate("+ domain/features/hyperv/synic[state=on]", kvm(), "more enlightenments under KVM (needs vpindex)"),
        new Deliberate("+ domain/features/hyperv/stimer[state=on]", kvm(), "more enlightenments under KVM (needs synic)"),
        new Deliberate("+ domain/features/hyperv/tlbflush[state=on]", kvm(), "more enlightenments under KVM (needs vpindex)"),
        new Deliberate("+ domain/features/hyperv/ipi[state=on]", kvm(), "more enlightenments under KVM (needs vpindex)"),
        new Deliberate("+ domain/features/smm[state=on]", win11(), "Secure Boot firmware needs SMM; stated rather than left to autoselection"),
        new Deliberate("+ domain/os/firmware", win11(), "Windows 11 gets Secure Boot with enrolled keys, not just UEFI"),
        new Deliberate("+ domain/os/firmware/feature[enabled=yes,name=enrolled-keys]", win11(), "Secure Boot on, Microsoft keys enrolled"),
        new Deliberate("+ domain/os/firmware/feature[enabled=yes,name=secure-boot]", win11(), "Secure Boot on"),
        new Deliberate("+ domain/devices/disk/alias[name=ua-c]", always(), "the user alias attach/detach find disks by"),
        new Deliberate("+ domain/devices/interface/alias[name=ua-nic0]", always(), "user alias of the NIC"),
        new Deliberate("- domain/devices/interface/mac", always(),
            "virt-install picks a MAC address; the node passes the spec's, or lets libvirt pick one when the spec has none"),
        new Deliberate("+ domain/devices/serial[type=pty]", always(), "a serial console whose output is logged"),
        new Deliberate("+ domain/devices/serial/log[append=off,file=/var/log/libvirt/qemu/$N-serial.log]", always(), "serial log of the current boot"),
        new Deliberate("+ domain/devices/serial/target[port=0]", always(), "serial console"),
        new Deliberate("+ domain/devices/console/target[port=0,type=serial]", always(), "the console is the serial port (libvirt's default, stated)"),
        new Deliberate("+ domain/devices/graphics/listen[address=127.0.0.1,type=address]", always(), "listen address stated as libvirt normalizes it"),
        new Deliberate("+ domain/devices/memballoon[model=none]", always(),
            "no balloon: a fresh Windows has no driver for it, so it would only take a PCI slot"),
        new Deliberate("+ domain/devices/tpm/backend[type=emulator,version=2.0]", win11(), "TPM 2.0 stated (libvirt's default for tpm-crb)"),
        new Deliberate("- domain/devices/tpm/backend[type=emulator]", win11(), "same TPM, version left to libvirt's default"),
        new Deliberate("+ domain/devices/controller[model=pcie-root-port,type=pci] x6", always(),
            "one root port per PCIe device plus 4 spares for hot-plug, instead of virt-install's fixed 14"),
        new Deliberate("- domain/devices/controller[model=pcie-root-port,type=pci] x14", always(), "virt-install's fixed 14 root ports"));

    /**
     * virt-install asks a private libvirtd (run/lib/private-libvirtd.sh): even with --dry-run it defines an
     * autostarted storage pool for the disk's folder, which must not land in the machine's main daemon.
     */
    @BeforeAll
    static void privateDaemon() throws IOException, InterruptedException {
        if (!Files.isExecutable(SCRIPT) || !"root".equals(System.getProperty("user.name"))
            || !Files.isExecutable(Path.of("/usr/sbin/libvirtd")) || !Files.isExecutable(Path.of("/usr/bin/qemu-img"))) return;
        dir = Files.createTempDirectory("lq-cmp");
        GuestConsole.run(List.of(SCRIPT.toString(), "up", dir.toString()));
        uri = "qemu+unix:///system?socket=" + dir.resolve("sock/libvirt-sock");
        disk = dir.resolve("images/win.qcow2");
        Files.createDirectories(disk.getParent());
        GuestConsole.run(List.of("qemu-img", "create", "-q", "-f", "qcow2", disk.toString(), "64M"));
    }

    @AfterAll
    static void stopDaemon() throws IOException, InterruptedException {
        if (dir == null) return;
        GuestConsole.run(List.of(SCRIPT.toString(), "down", dir.toString()));
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    @ParameterizedTest
    @CsvSource({"win2k16,TCG", "win2k19,TCG", "win2k22,TCG", "win10,TCG", "win11,TCG", "win2k22,KVM", "win11,KVM"})
    void windowsProfileMatchesVirtInstall(String variant, Accelerator accel) throws Exception {
        LibvirtTestSupport.requireOrSkip(Files.isExecutable(VIRT_INSTALL), "virt-install missing (Debian virtinst)");
        LibvirtTestSupport.requireOrSkip(uri != null, "no private libvirtd for virt-install to ask (needs root, libvirtd, qemu-img and "
            + SCRIPT + ")");
        String why = DaemonProbe.answers(uri, 10);
        LibvirtTestSupport.requireOrSkip(why == null, "the private libvirtd does not answer on " + uri + ": " + why);
        String name = "lq-cmp-" + variant;

        boolean bios = !variant.equals("win11");
        VmSpec spec = VmSpec.builder(name).id(UUID.randomUUID().toString()).vcpus(2).memoryMiB(4096).os(GuestOs.windows(variant))
            .firmware(bios ? Firmware.BIOS : Firmware.UEFI_SECURE_BOOT)
            .disk(new DiskSpec("c", DiskSource.file(disk.toString(), DiskSource.Format.QCOW2), DiskSpec.Bus.SATA, DiskSpec.Device.DISK, false, 0))
            .nic(new NicSpec(null, BRIDGE, NicSpec.Model.E1000E, null))
            .graphics(GraphicsSpec.vnc()).serialConsole(true).build();
        HostTarget host = HostTarget.of(accel, false).withHyperV(accel == Accelerator.TCG ? HyperVProbe.accepted(Accelerator.TCG) : null);
        String ours = DomainXmlWriter.write(new DomainMapper(host).map(spec));
        assertSchemaValid(ours, name);
        String theirs = virtInstall(variant, accel, name);

        List<String> differences = diff(lines(ours), lines(theirs));
        List<String> expected = new ArrayList<>();
        for (Deliberate d : DELIBERATE)
            if (d.when().test(variant, accel)) expected.add(d.line().replace("$V", variant).replace("$N", name));
        expected.sort(null);
        assertEquals(String.join("\n", expected), String.join("\n", differences),
            "our Windows profile differs from virt-install's --os-variant " + variant + " (" + accel + ") in undocumented ways."
                + "\n--- ours:\n" + ours + "\n--- virt-install:\n" + theirs);
    }

    /** libvirt's own schema, as VirtXmlValidateTest checks the other profiles. */
    private static void assertSchemaValid(String xml, String name) throws IOException, InterruptedException {
        assertTrue(Files.isExecutable(Path.of("/usr/bin/virt-xml-validate")), "virt-xml-validate missing (libvirt-clients)");
        Path file = Files.createTempFile(name, ".xml");
        try {
            Files.writeString(file, xml, StandardCharsets.UTF_8);
            Process p = new ProcessBuilder("virt-xml-validate", file.toString(), "domain").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "virt-xml-validate did not finish");
            assertEquals(0, p.exitValue(), "virt-xml-validate refused " + name + ":\n" + out + "\n" + xml);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private static String virtInstall(String variant, Accelerator accel, String name) throws IOException, InterruptedException {
        List<String> cmd = List.of(VIRT_INSTALL.toString(), "--connect", uri, "--virt-type", accel == Accelerator.KVM ? "kvm" : "qemu",
            "--print-xml", "--dry-run", "--os-variant", variant, "--import", "--name", name, "--memory", "4096", "--vcpus", "2",
            "--disk", "path=" + disk + ",format=qcow2", "--network", "bridge=" + BRIDGE, "--graphics", "vnc,listen=127.0.0.1",
            "--noautoconsole");
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.PIPE).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "virt-install did not finish");
        assertEquals(0, p.exitValue(), "virt-install failed: " + err + out);
        return out;
    }

    /** Every element as {@code path[attr=value,…] text}, identical lines counted ({@code xN}), sorted. */
    static Map<String, Integer> lines(String xml) {
        Map<String, Integer> out = new TreeMap<>();
        Element root = XmlDoc.parse(xml).elements("/*").get(0);
        walk(root, "", out);
        return out;
    }

    private static void walk(Element e, String parent, Map<String, Integer> out) {
        String tag = e.getTagName();
        String path = parent.isEmpty() ? tag : parent + "/" + tag;
        Map<String, String> attrs = new TreeMap<>();
        NamedNodeMap a = e.getAttributes();
        Set<String> skip = NOT_COMPARED.getOrDefault(tag, Set.of());
        for (int i = 0; i < a.getLength(); i++) {
            String n = a.item(i).getNodeName();
            if (n.startsWith("xmlns") || skip.contains(n)) continue;
            attrs.put(n, a.item(i).getNodeValue());
        }
        boolean hasChildren = false;
        StringBuilder text = new StringBuilder();
        for (Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element c) {
                hasChildren = true;
                walk(c, path, out);
            } else if (n.getNodeType() == Node.TEXT_NODE) {
                text.append(n.getNodeValue());
            }
        }
        // the instance's own name and UUID are not the profile's business
        String value = hasChildren || path.equals("domain/name") || path.equals("domain/uuid") ? "" : text.toString().trim();
        StringBuilder line = new StringBuilder(path);
        if (!attrs.isEmpty()) {
            line.append('[');
            attrs.forEach((k, v) -> line.append(k).append('=').append(v).append(','));
            line.setLength(line.length() - 1);
            line.append(']');
        }
        if (!value.isEmpty()) line.append(' ').append(value);
        out.merge(line.toString(), 1, Integer::sum);
    }

    /** "+ line" for what only ours has, "- line" for what only virt-install's has; a count when it is not 1. */
    static List<String> diff(Map<String, Integer> ours, Map<String, Integer> theirs) {
        List<String> out = new ArrayList<>();
        for (String k : union(ours, theirs)) {
            int o = ours.getOrDefault(k, 0);
            int t = theirs.getOrDefault(k, 0);
            if (o == t) continue;
            if (o > 0 && t > 0 && o != t) {
                out.add("+ " + k + " x" + o);
                out.add("- " + k + " x" + t);
            } else if (o > 0) {
                out.add("+ " + k + (o == 1 ? "" : " x" + o));
            } else {
                out.add("- " + k + (t == 1 ? "" : " x" + t));
            }
        }
        out.sort(null);
        return out;
    }

    private static List<String> union(Map<String, Integer> a, Map<String, Integer> b) {
        TreeMap<String, Integer> all = new TreeMap<>(a);
        all.putAll(b);
        return new ArrayList<>(all.keySet());
    }
}
