package io.limiquantix.node.libvirt.internal.domain;

import io.limiquantix.node.api.SnapshotInfo;
import io.limiquantix.node.api.VmState;
import java.io.StringWriter;
import java.time.Instant;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;

/** Snapshot XML both ways: the request written with a real XML writer, libvirt's answer read into a SnapshotInfo. */
public final class SnapshotXml {
    private static final XMLOutputFactory FACTORY = XMLOutputFactory.newDefaultFactory();

    private SnapshotXml() {}

    /** {@code memoryFile} non-null asks for an external memory snapshot into that file. */
    public static String request(String name, String description, String memoryFile) {
        StringWriter buffer = new StringWriter();
        try {
            XMLStreamWriter out = FACTORY.createXMLStreamWriter(buffer);
            out.writeStartElement("domainsnapshot");
            out.writeStartElement("name");
            out.writeCharacters(DomainXmlWriter.checked(name));
            out.writeEndElement();
            if (description != null) {
                out.writeStartElement("description");
                out.writeCharacters(DomainXmlWriter.checked(description));
                out.writeEndElement();
            }
            if (memoryFile != null) {
                out.writeEmptyElement("memory");
                out.writeAttribute("snapshot", "external");
                out.writeAttribute("file", DomainXmlWriter.checked(memoryFile));
            }
            out.writeEndElement();
            out.writeEndDocument();
            out.close();
        } catch (XMLStreamException e) {
            throw new IllegalStateException("cannot write snapshot XML: " + e.getMessage(), e);
        }
        return buffer.toString();
    }

    public static SnapshotInfo info(String xml, boolean current) {
        XmlDoc doc = XmlDoc.parse(xml);
        String state = doc.string("/domainsnapshot/state");
        String memory = doc.string("/domainsnapshot/memory/@snapshot");
        boolean includesMemory = memory.equals("internal") || memory.equals("external")
            || (memory.isEmpty() && (state.equals("running") || state.equals("paused")));
        boolean external = memory.equals("external") || doc.exists("/domainsnapshot/disks/disk[@snapshot='external']");
        String created = doc.string("/domainsnapshot/creationTime");
        String description = doc.string("/domainsnapshot/description");
        String parent = doc.string("/domainsnapshot/parent/name");
        return new SnapshotInfo(doc.string("/domainsnapshot/name"), description.isEmpty() ? null : description,
            created.isEmpty() ? null : Instant.ofEpochSecond(Long.parseLong(created.trim())), vmState(state),
            includesMemory, external, parent.isEmpty() ? null : parent, current);
    }

    static VmState vmState(String s) {
        return switch (s) {
            case "running", "disk-snapshot", "blocked" -> VmState.RUNNING;
            case "paused" -> VmState.PAUSED;
            case "shutoff" -> VmState.STOPPED;
            case "shutdown" -> VmState.SHUTTING_DOWN;
            case "crashed" -> VmState.CRASHED;
            case "pmsuspended" -> VmState.SUSPENDED;
            default -> VmState.UNKNOWN;
        };
    }
}
