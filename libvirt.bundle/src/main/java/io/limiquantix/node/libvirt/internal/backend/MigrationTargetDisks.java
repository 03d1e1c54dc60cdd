package io.limiquantix.node.libvirt.internal.backend;

import io.limiquantix.node.api.ConflictException;
import io.limiquantix.node.api.UnsupportedFeatureException;
import io.limiquantix.node.api.Feature;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.Error;
import org.libvirt.LibvirtException;
import org.libvirt.StoragePool;
import org.libvirt.StorageVol;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;

/**
 * Storage migration needs each local disk to exist on the destination before QEMU copies into it (libvirt
 * copies over NBD into an image it opens there; it does not create a qcow2 of its own). This prepares
 * them through the destination's libvirt storage API: an image of the same format and virtual size at the
 * same path, in the storage pool that holds its directory there, or in a transient directory pool made
 * for the migration. What it created is removed again by {@link #rollback()} when the migration fails;
 * transient pools are always destroyed afterwards (destroying a directory pool leaves its files).
 */
final class MigrationTargetDisks implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(MigrationTargetDisks.class.getName());

    /** One local, writable file disk of the domain. */
    record LocalDisk(String target, String path, String format, long capacityBytes) {
    }

    private final Connect dest;
    private final List<StorageVol> created = new ArrayList<>();
    private final List<StoragePool> transientPools = new ArrayList<>();

    MigrationTargetDisks(Connect dest) {
        this.dest = dest;
    }

    /** The disks a storage migration copies: file-backed, writable, not shareable, with a source. */
    static List<LocalDisk> localDisks(Domain d) throws LibvirtException {
        Document doc = parse(d.getXMLDesc(0));
        NodeList disks = doc.getElementsByTagName("disk");
        List<LocalDisk> out = new ArrayList<>();
        for (int i = 0; i < disks.getLength(); i++) {
            Element disk = (Element) disks.item(i);
            if (!"disk".equals(disk.getAttribute("device")) || !"file".equals(disk.getAttribute("type"))) continue;
            if (child(disk, "readonly") != null || child(disk, "shareable") != null) continue;
            Element source = child(disk, "source");
            Element target = child(disk, "target");
            if (source == null || source.getAttribute("file").isEmpty()) continue;
            Element driver = child(disk, "driver");
            String format = driver == null || driver.getAttribute("type").isEmpty() ? "raw" : driver.getAttribute("type");
            String path = source.getAttribute("file");
            out.add(new LocalDisk(target == null ? "" : target.getAttribute("dev"), path, format, d.blockInfo(path).getCapacity()));
        }
        return out;
    }

    /** Creates each disk on the destination; refuses (nothing created) when one is there already. */
    void prepare(List<LocalDisk> disks) throws LibvirtException {
        for (LocalDisk disk : disks) {
            if (exists(disk.path()))
                throw new ConflictException("copyStorage: " + disk.path() + " (disk " + disk.target() + ") already exists on the"
                    + " destination; it is not overwritten (shared storage needs no copy: migrate without copyStorage)");
        }
        for (LocalDisk disk : disks) {
            if (!disk.format().equals("qcow2") && !disk.format().equals("raw"))
                throw new UnsupportedFeatureException(Feature.STORAGE_MIGRATION, "copyStorage: disk " + disk.target()
                    + " has format " + disk.format() + "; only qcow2 and raw images are prepared on the destination");
            StoragePool pool = poolFor(Path.of(disk.path()).getParent().toString());
            StorageVol vol = pool.storageVolCreateXML(volumeXml(disk), 0);
            created.add(vol);
            LOG.info(() -> "prepared " + disk.format() + " " + disk.path() + " (" + disk.capacityBytes() + " bytes) on the destination");
        }
    }

    /** Deletes what {@link #prepare} created (a failed or aborted migration leaves nothing behind). */
    void rollback() {
        for (StorageVol v : created) {
            try {
                v.delete(0);
            } catch (LibvirtException | RuntimeException e) {
                LOG.log(Level.WARNING, "cannot remove a disk prepared on the migration destination", e);
            }
        }
        created.clear();
    }

    @Override
    public void close() {
        for (StoragePool p : transientPools) {
            try {
                p.destroy();
            } catch (LibvirtException | RuntimeException e) {
                LOG.log(Level.FINE, "transient migration pool", e);
            }
        }
        transientPools.clear();
    }

    private boolean exists(String path) throws LibvirtException {
        try {
            dest.storageVolLookupByPath(path);
            return true;
        } catch (LibvirtException e) {
            Error err = e.getError();
            if (err != null && err.getCode() == Error.ErrorNumber.VIR_ERR_NO_STORAGE_VOL) return false;
            throw e;
        }
    }

    /** An active pool whose target is that directory, else a transient directory pool (built if missing). */
    private StoragePool poolFor(String dir) throws LibvirtException {
        for (String name : dest.listStoragePools()) {
            StoragePool p = dest.storagePoolLookupByName(name);
            Element target = child(parse(p.getXMLDesc(0)).getDocumentElement(), "target");
            Element path = target == null ? null : child(target, "path");
            if (path != null && dir.equals(path.getTextContent().trim())) {
                p.refresh(0);
                return p;
            }
        }
        StoragePool p = dest.storagePoolCreateXML(poolXml("lq-migration-" + UUID.randomUUID().toString().substring(0, 8), dir),
            1 /* VIR_STORAGE_POOL_CREATE_WITH_BUILD: make the directory when it is missing */);
        transientPools.add(p);
        return p;
    }

    static String poolXml(String name, String dir) {
        return write(w -> {
            w.writeStartElement("pool");
            w.writeAttribute("type", "dir");
            element(w, "name", name);
            w.writeStartElement("target");
            element(w, "path", dir);
            w.writeEndElement();
            w.writeEndElement();
        });
    }

    static String volumeXml(LocalDisk disk) {
        return write(w -> {
            w.writeStartElement("volume");
            element(w, "name", Path.of(disk.path()).getFileName().toString());
            w.writeStartElement("capacity");
            w.writeAttribute("unit", "bytes");
            w.writeCharacters(Long.toString(disk.capacityBytes()));
            w.writeEndElement();
            w.writeStartElement("target");
            w.writeEmptyElement("format");
            w.writeAttribute("type", disk.format());
            w.writeStartElement("permissions");
            element(w, "mode", "0600");
            w.writeEndElement();
            w.writeEndElement();
            w.writeEndElement();
        });
    }

    private interface XmlBody {
        void write(XMLStreamWriter w) throws XMLStreamException;
    }

    private static String write(XmlBody body) {
        StringWriter out = new StringWriter();
        try {
            XMLStreamWriter w = XMLOutputFactory.newFactory().createXMLStreamWriter(out);
            body.write(w);
            w.flush();
            w.close();
        } catch (XMLStreamException e) {
            throw new IllegalStateException("storage XML", e);
        }
        return out.toString();
    }

    private static void element(XMLStreamWriter w, String name, String text) throws XMLStreamException {
        w.writeStartElement(name);
        w.writeCharacters(text);
        w.writeEndElement();
    }

    static Document parse(String xml) {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            return f.newDocumentBuilder().parse(new InputSource(new StringReader(xml)));
        } catch (Exception e) {
            throw new IllegalStateException("libvirt returned XML that does not parse: " + e.getMessage(), e);
        }
    }

    static Element child(Element parent, String name) {
        for (org.w3c.dom.Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals(name)) return e;
        }
        return null;
    }
}
