package io.limiquantix.node.libvirt.internal.storage;

import io.limiquantix.node.api.storage.DiskSource;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Locale;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;

/** libvirt storage pool and volume XML, written with a real XML writer (no string concatenation). */
final class VolumeXml {
    private static final XMLOutputFactory FACTORY = XMLOutputFactory.newDefaultFactory();

    private VolumeXml() {}

    /** {@code <pool type='dir'>} with its directory. */
    static String dirPool(String name, Path path) {
        return write(w -> {
            w.writeStartElement("pool");
            w.writeAttribute("type", "dir");
            text(w, "name", name);
            w.writeStartElement("target");
            text(w, "path", path.toString());
            w.writeEndElement();
            w.writeEndElement();
        });
    }

    /**
     * A file volume. {@code backing}, when not null, makes it a qcow2 overlay of that file (copy-on-write:
     * reads of unwritten clusters go to the backing file, which must never change afterwards).
     */
    static String volume(String name, long capacity, DiskSource.Format format, Path backing, DiskSource.Format backingFormat) {
        return write(w -> {
            w.writeStartElement("volume");
            w.writeAttribute("type", "file");
            text(w, "name", name);
            w.writeStartElement("capacity");
            w.writeAttribute("unit", "bytes");
            w.writeCharacters(Long.toString(capacity));
            w.writeEndElement();
            w.writeStartElement("allocation");
            w.writeAttribute("unit", "bytes");
            w.writeCharacters("0");
            w.writeEndElement();
            w.writeStartElement("target");
            format(w, format);
            w.writeStartElement("permissions");
            text(w, "mode", "0600");
            w.writeEndElement();
            w.writeEndElement();
            if (backing != null) {
                w.writeStartElement("backingStore");
                text(w, "path", backing.toString());
                format(w, backingFormat);
                w.writeEndElement();
            }
            w.writeEndElement();
        });
    }

    private static void format(XMLStreamWriter w, DiskSource.Format f) throws XMLStreamException {
        w.writeEmptyElement("format");
        w.writeAttribute("type", f.name().toLowerCase(Locale.ROOT));
    }

    private static void text(XMLStreamWriter w, String element, String value) throws XMLStreamException {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
                throw new IllegalArgumentException(element + " has a character XML cannot carry");
        }
        w.writeStartElement(element);
        w.writeCharacters(value);
        w.writeEndElement();
    }

    @FunctionalInterface
    private interface Body {
        void write(XMLStreamWriter w) throws XMLStreamException;
    }

    private static String write(Body body) {
        StringWriter s = new StringWriter();
        try {
            XMLStreamWriter w = FACTORY.createXMLStreamWriter(s);
            body.write(w);
            w.writeEndDocument();
            w.close();
        } catch (XMLStreamException e) {
            throw new IllegalStateException("cannot write libvirt storage XML: " + e.getMessage(), e);
        }
        return s.toString();
    }
}
