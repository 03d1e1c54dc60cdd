package io.limiquantix.node.libvirt.internal.domain;

import io.limiquantix.node.libvirt.internal.domain.DomainModel.Disk;
import io.limiquantix.node.libvirt.internal.domain.DomainModel.Nic;
import io.limiquantix.node.libvirt.internal.domain.DomainModel.Timer;
import java.io.StringWriter;
import java.util.Map;
import java.util.TreeMap;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;

/**
 * Writes a {@link DomainModel} as libvirt domain XML with a real XML writer. Every string goes through the
 * writer's escaping, and {@link #checked} refuses characters XML 1.0 cannot carry at all (which escaping
 * cannot fix), so no value can change the document's structure even if validation upstream were bypassed.
 */
public final class DomainXmlWriter {
    /** The namespace of the node's own metadata inside a domain. */
    public static final String METADATA_NS = "https://limiquantix.io/xmlns/node/1";
    public static final String METADATA_PREFIX = "lq";
    /** libosinfo's namespace for the guest OS id, as virt-install uses it. */
    public static final String LIBOSINFO_NS = "http://libosinfo.org/xmlns/libvirt/domain/1.0";
    public static final String LIBOSINFO_PREFIX = "libosinfo";

    private static final XMLOutputFactory FACTORY = XMLOutputFactory.newDefaultFactory();

    private XMLStreamWriter out;

    public static String write(DomainModel model) {
        return new DomainXmlWriter().render(model);
    }

    /** A single device element (for hot-plug): the same rules as inside a whole domain. */
    public static String writeDisk(Disk disk) {
        DomainXmlWriter w = new DomainXmlWriter();
        return w.fragment(() -> w.disk(disk));
    }

    private String render(DomainModel m) {
        return fragment(() -> domain(m));
    }

    private interface Body {
        void write() throws XMLStreamException;
    }

    private String fragment(Body body) {
        StringWriter buffer = new StringWriter(4096);
        try {
            out = FACTORY.createXMLStreamWriter(buffer);
            body.write();
            out.writeEndDocument();
            out.close();
        } catch (XMLStreamException e) {
            throw new IllegalStateException("cannot write domain XML: " + e.getMessage(), e);
        }
        return buffer.toString();
    }

    private void domain(DomainModel m) throws XMLStreamException {
        start("domain");
        attr("type", m.type());
        text("name", m.name());
        text("uuid", m.uuid());
        metadata(m.metadata());
        start("memory");
        attr("unit", "KiB");
        out.writeCharacters(Long.toString(m.memoryKiB()));
        end();
        start("currentMemory");
        attr("unit", "KiB");
        out.writeCharacters(Long.toString(m.memoryKiB()));
        end();
        start("vcpu");
        attr("placement", "static");
        out.writeCharacters(Integer.toString(m.cpu().vcpus()));
        end();
        os(m.os());
        features(m.features());
        cpu(m.cpu());
        clock(m.clock());
        text("on_poweroff", "destroy");
        text("on_reboot", "restart");
        // A crashed guest stays as it is (destroyed, not restarted) so that the node sees CRASHED and the
        // operator decides; restarting would hide crash loops.
        text("on_crash", "destroy");
        if (m.features().noGuestSuspend()) {
            start("pm");
            empty("suspend-to-mem");
            attr("enabled", "no");
            empty("suspend-to-disk");
            attr("enabled", "no");
            end();
        }
        devices(m);
        end();
    }

    private void metadata(DomainModel.Metadata md) throws XMLStreamException {
        start("metadata");
        out.setPrefix(METADATA_PREFIX, METADATA_NS);
        out.writeStartElement(METADATA_PREFIX, "node", METADATA_NS);
        out.writeNamespace(METADATA_PREFIX, METADATA_NS);
        out.writeEmptyElement(METADATA_PREFIX, "os", METADATA_NS);
        attr("family", md.osFamily());
        if (md.osVariant() != null) attr("variant", md.osVariant());
        if (!md.labels().isEmpty()) {
            out.writeStartElement(METADATA_PREFIX, "labels", METADATA_NS);
            for (Map.Entry<String, String> e : new TreeMap<>(md.labels()).entrySet()) {
                out.writeEmptyElement(METADATA_PREFIX, "label", METADATA_NS);
                attr("key", e.getKey());
                attr("value", e.getValue());
            }
            end();
        }
        end();
        if (md.libosinfoId() != null) {
            // As virt-install writes it: virt-manager and osinfo-based tools read the guest OS from here.
            out.setPrefix(LIBOSINFO_PREFIX, LIBOSINFO_NS);
            out.writeStartElement(LIBOSINFO_PREFIX, "libosinfo", LIBOSINFO_NS);
            out.writeNamespace(LIBOSINFO_PREFIX, LIBOSINFO_NS);
            out.writeEmptyElement(LIBOSINFO_PREFIX, "os", LIBOSINFO_NS);
            attr("id", md.libosinfoId());
            end();
        }
        end();
    }

    private void os(DomainModel.Os os) throws XMLStreamException {
        start("os");
        if (os.firmware() != null) attr("firmware", os.firmware());
        start("type");
        attr("arch", os.arch());
        attr("machine", os.machine());
        out.writeCharacters("hvm");
        end();
        if (os.firmware() != null) {
            start("firmware");
            firmwareFeature("secure-boot", os.secureBoot());
            firmwareFeature("enrolled-keys", os.secureBoot());
            end();
        }
        if (os.kernel() != null) {
            text("kernel", os.kernel());
            if (os.initrd() != null) text("initrd", os.initrd());
            if (os.cmdline() != null) text("cmdline", os.cmdline());
        }
        for (String dev : os.bootDevices()) {
            empty("boot");
            attr("dev", dev);
        }
        end();
    }

    private void firmwareFeature(String name, boolean enabled) throws XMLStreamException {
        empty("feature");
        attr("enabled", enabled ? "yes" : "no");
        attr("name", name);
    }

    private void features(DomainModel.Features f) throws XMLStreamException {
        start("features");
        if (f.acpi()) empty("acpi");
        if (f.apic()) empty("apic");
        if (f.hyperv() != null) {
            start("hyperv");
            attr("mode", "custom");
            if (f.hyperv().relaxed()) onState("relaxed");
            if (f.hyperv().vapic()) onState("vapic");
            if (f.hyperv().spinlockRetries() > 0) {
                onState("spinlocks");
                attr("retries", Integer.toString(f.hyperv().spinlockRetries()));
            }
            for (String more : f.hyperv().more()) onState(more);
            end();
        }
        if (f.smm()) onState("smm");
        end();
    }

    private void onState(String name) throws XMLStreamException {
        empty(name);
        attr("state", "on");
    }

    private void cpu(DomainModel.Cpu cpu) throws XMLStreamException {
        start("cpu");
        attr("mode", cpu.mode());
        if ("custom".equals(cpu.mode())) attr("match", "exact");
        if (cpu.model() != null) {
            start("model");
            attr("fallback", "forbid");
            out.writeCharacters(checked(cpu.model()));
            end();
        }
        if (cpu.hasTopology()) {
            empty("topology");
            attr("sockets", Integer.toString(cpu.sockets()));
            attr("dies", "1");
            attr("cores", Integer.toString(cpu.cores()));
            attr("threads", Integer.toString(cpu.threads()));
        }
        for (String feature : cpu.requiredFeatures()) {
            empty("feature");
            attr("policy", "require");
            attr("name", feature);
        }
        end();
    }

    private void clock(DomainModel.Clock clock) throws XMLStreamException {
        start("clock");
        attr("offset", clock.offset());
        for (Timer t : clock.timers()) {
            empty("timer");
            attr("name", t.name());
            if (t.tickPolicy() != null) attr("tickpolicy", t.tickPolicy());
            if (t.present() != null) attr("present", t.present() ? "yes" : "no");
        }
        end();
    }

    private void devices(DomainModel m) throws XMLStreamException {
        start("devices");
        for (Disk d : m.disks()) disk(d);
        DomainModel.Devices dev = m.devices();
        if (dev.virtioScsi()) {
            empty("controller");
            attr("type", "scsi");
            attr("index", "0");
            attr("model", "virtio-scsi");
        }
        if (dev.usbController()) {
            empty("controller");
            attr("type", "usb");
            attr("model", "qemu-xhci");
            // 15 ports as virt-install sets (QEMU's default is 4 USB2 + 4 USB3): room for passthrough devices.
            attr("ports", "15");
        }
        if (dev.pcieRootPorts() > 0) {
            // libvirt numbers the root ports after the root complex only when the root is named first.
            empty("controller");
            attr("type", "pci");
            attr("index", "0");
            attr("model", "pcie-root");
        }
        // Explicit indexes: multi-function hostdevs name their root port as their guest bus.
        for (int i = 1; i <= dev.pcieRootPorts(); i++) {
            empty("controller");
            attr("type", "pci");
            attr("index", Integer.toString(i));
            attr("model", "pcie-root-port");
        }
        for (Nic n : m.nics()) nic(n);
        HostdevXml hostdevs = new HostdevXml(out);
        for (DomainModel.Hostdev h : m.hostdevs()) hostdevs.write(h);
        if (m.serial() != null) serial(m.serial());
        if (dev.usbTablet()) {
            empty("input");
            attr("type", "tablet");
            attr("bus", "usb");
        }
        if (dev.tpm()) {
            start("tpm");
            attr("model", "tpm-crb");
            empty("backend");
            attr("type", "emulator");
            attr("version", "2.0");
            end();
        }
        if (m.graphics() != null) graphics(m.graphics());
        if (m.videoModel() != null) {
            start("video");
            empty("model");
            attr("type", m.videoModel());
            end();
        }
        // A memory balloon without a driver in the guest only costs a PCI slot.
        empty("memballoon");
        attr("model", "none");
        end();
    }

    private void disk(Disk d) throws XMLStreamException {
        start("disk");
        attr("type", d.type());
        attr("device", d.device());
        empty("driver");
        attr("name", "qemu");
        attr("type", d.format());
        if ("network".equals(d.type())) {
            start("source");
            attr("protocol", d.protocol());
            attr("name", d.source());
            for (DomainModel.Host h : d.hosts()) {
                empty("host");
                attr("name", h.name());
                attr("port", Integer.toString(h.port()));
            }
            end();
            if (d.authUser() != null) {
                start("auth");
                attr("username", d.authUser());
                empty("secret");
                attr("type", "ceph");
                attr("uuid", d.secretUuid());
                end();
            }
        } else {
            empty("source");
            attr("file".equals(d.type()) ? "file" : "dev", d.source());
        }
        empty("target");
        attr("dev", d.target());
        attr("bus", d.bus());
        if (d.readOnly()) empty("readonly");
        if (d.bootOrder() > 0) {
            empty("boot");
            attr("order", Integer.toString(d.bootOrder()));
        }
        empty("alias");
        attr("name", d.alias());
        end();
    }

    private void nic(Nic n) throws XMLStreamException {
        start("interface");
        attr("type", n.type());
        if (n.mac() != null) {
            empty("mac");
            attr("address", n.mac());
        }
        empty("source");
        attr(n.type(), n.source());
        empty("model");
        attr("type", n.model());
        empty("alias");
        attr("name", n.alias());
        end();
    }

    private void serial(DomainModel.Serial s) throws XMLStreamException {
        start("serial");
        attr("type", "pty");
        empty("log");
        attr("file", s.logFile());
        // Each boot starts a fresh log, so what a reader sees belongs to the current run of the guest.
        attr("append", "off");
        empty("target");
        attr("port", "0");
        end();
        start("console");
        attr("type", "pty");
        empty("target");
        attr("type", "serial");
        attr("port", "0");
        end();
    }

    private void graphics(DomainModel.Graphics g) throws XMLStreamException {
        start("graphics");
        attr("type", g.type());
        attr("autoport", "yes");
        attr("listen", g.listen());
        if (g.password() != null) attr("passwd", g.password());
        empty("listen");
        attr("type", "address");
        attr("address", g.listen());
        end();
    }

    private void start(String name) throws XMLStreamException {
        out.writeStartElement(name);
    }

    private void empty(String name) throws XMLStreamException {
        out.writeEmptyElement(name);
    }

    private void end() throws XMLStreamException {
        out.writeEndElement();
    }

    private void attr(String name, String value) throws XMLStreamException {
        out.writeAttribute(name, checked(value));
    }

    private void text(String element, String value) throws XMLStreamException {
        start(element);
        out.writeCharacters(checked(value));
        end();
    }

    /**
     * Refuses what escaping cannot make safe: null and characters outside XML 1.0's Char production
     * (control characters, lone surrogates). Markup characters are left to the writer to escape.
     */
    public static String checked(String value) {
        if (value == null) throw new IllegalArgumentException("a domain XML value is missing");
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            boolean ok = c == '\t' || c == '\n' || c == '\r' || (c >= 0x20 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd);
            if (!ok) throw new IllegalArgumentException("a domain XML value contains the character U+"
                + String.format("%04X", (int) c) + ", which XML cannot carry");
        }
        return value;
    }
}
