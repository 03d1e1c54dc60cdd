package io.limiquantix.node.libvirt.internal.backend;

import io.limiquantix.node.api.BackendUnavailableException;
import io.limiquantix.node.api.DiskSpec;
import io.limiquantix.node.api.storage.DiskSource;
import io.limiquantix.node.libvirt.internal.domain.DomainXmlWriter;
import io.limiquantix.node.libvirt.internal.domain.XmlDoc;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.logging.Logger;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;
import org.libvirt.Connect;
import org.libvirt.Error;
import org.libvirt.LibvirtException;
import org.w3c.dom.Element;

/**
 * The libvirt secrets that rbd disks refer to by UUID ({@code <auth><secret type='ceph' uuid=…/></auth>}).
 * Before a domain with such disks is defined or started, or such a disk is attached, every secret must
 * exist in libvirt (usage ceph, {@code client.<user> secret}, persistent and private) with the current
 * key as its value. All keys are fetched first: if one is unknown, the operation is refused before
 * libvirt is asked for anything, because QEMU would otherwise hunt for the cluster forever with the
 * domain paused. The value is set on every call (a private secret cannot be read back to compare, and a
 * rotated key must take effect); it never appears in XML, logs, exceptions or {@code toString()}.
 */
final class RbdSecrets {
    private static final Logger LOG = Logger.getLogger(RbdSecrets.class.getName());
    private static final XMLOutputFactory FACTORY = XMLOutputFactory.newDefaultFactory();

    /** One secret an operation needs; {@code field} names the disk in errors ({@code disks[1].source.secretUuid}). */
    record Need(String field, String uuid, String user) {
    }

    /** The three libvirt calls used, so that the logic can be tested without a secret driver. */
    interface Store {
        boolean exists(String uuid) throws LibvirtException;

        void define(String xml) throws LibvirtException;

        void setValue(String uuid, byte[] value) throws LibvirtException;
    }

    private final String backend;
    private final SecretLookup lookup;
    private final boolean enabled;

    /** {@code enabled} false (libvirt's test driver): nothing is checked or defined. */
    RbdSecrets(String backend, SecretLookup lookup, boolean enabled) {
        this.backend = backend;
        this.lookup = lookup == null ? SecretLookup.NONE : lookup;
        this.enabled = enabled;
    }

    /** The secrets the spec's network rbd disks refer to; {@code prefix} is e.g. {@code disks}. */
    static List<Need> fromSpecs(String prefix, List<DiskSpec> disks) {
        List<Need> out = new ArrayList<>();
        for (int i = 0; i < disks.size(); i++) {
            Need n = fromSpec(prefix + "[" + i + "]", disks.get(i));
            if (n != null) out.add(n);
        }
        return out;
    }

    static Need fromSpec(String field, DiskSpec disk) {
        DiskSource s = disk == null ? null : disk.source();
        if (s == null || s.kind() != DiskSource.Kind.NETWORK || !"rbd".equals(s.protocol()) || s.secretUuid() == null
            || s.authUser() == null) return null;
        return new Need(field + ".source.secretUuid", s.secretUuid().toLowerCase(Locale.ROOT), s.authUser());
    }

    /** The secrets a defined domain's rbd disks refer to, indexed like the spec's disks (libvirt keeps their order). */
    static List<Need> fromDomainXml(XmlDoc xml) {
        List<Need> out = new ArrayList<>();
        List<Element> disks = xml.elements("/domain/devices/disk");
        for (int i = 0; i < disks.size(); i++) {
            Element disk = disks.get(i);
            if (!"network".equals(disk.getAttribute("type"))) continue;
            Element source = first(xml.elementsUnder(disk, "source"));
            if (source == null || !"rbd".equals(source.getAttribute("protocol"))) continue;
            // libvirt accepts <auth> under <disk> and (newer) under <source>.
            Element auth = first(xml.elementsUnder(disk, "auth"));
            if (auth == null) continue;
            Element secret = first(xml.elementsUnder(auth, "secret"));
            if (secret == null || !"ceph".equals(secret.getAttribute("type")) || secret.getAttribute("uuid").isEmpty()) continue;
            out.add(new Need("disks[" + i + "].source.secretUuid", secret.getAttribute("uuid").toLowerCase(Locale.ROOT),
                auth.getAttribute("username")));
        }
        return out;
    }

    private static Element first(List<Element> l) {
        return l.isEmpty() ? null : l.get(0);
    }

    /** The secret's definition: identity and usage only, never the value. */
    static String secretXml(String uuid, String user) {
        StringWriter buffer = new StringWriter();
        try {
            XMLStreamWriter out = FACTORY.createXMLStreamWriter(buffer);
            out.writeStartElement("secret");
            out.writeAttribute("ephemeral", "no");
            out.writeAttribute("private", "yes");
            out.writeStartElement("uuid");
            out.writeCharacters(DomainXmlWriter.checked(uuid));
            out.writeEndElement();
            out.writeStartElement("description");
            out.writeCharacters(DomainXmlWriter.checked("LimiQuantix: cephx key of client." + user + " for rbd disks"));
            out.writeEndElement();
            out.writeStartElement("usage");
            out.writeAttribute("type", "ceph");
            out.writeStartElement("name");
            out.writeCharacters(DomainXmlWriter.checked("client." + user + " secret"));
            out.writeEndElement();
            out.writeEndElement();
            out.writeEndElement();
            out.writeEndDocument();
            out.close();
        } catch (XMLStreamException e) {
            throw new IllegalStateException("cannot write secret XML: " + e.getMessage(), e);
        }
        return buffer.toString();
    }

    /** Makes every needed secret exist with its current value, or refuses before touching libvirt. */
    void ensure(Store store, List<Need> needs) throws LibvirtException {
        if (!enabled || needs.isEmpty()) return;
        Map<String, Need> byUuid = new LinkedHashMap<>();
        for (Need n : needs) byUuid.putIfAbsent(n.uuid(), n);
        Map<String, byte[]> values = new LinkedHashMap<>();
        try {
            for (Need n : byUuid.values()) {
                byte[] v = key(n.uuid());
                if (v == null || v.length == 0)
                    throw new BackendUnavailableException(n.field() + ": no Ceph secret source on this node knows the cephx key for secret "
                        + n.uuid() + " (client." + n.user() + "); is the storage provider of that cluster configured and running? "
                        + "Refused before libvirt was asked to use the disk (backend " + backend + ")");
                values.put(n.uuid(), v);
            }
            for (Need n : byUuid.values()) {
                if (!store.exists(n.uuid())) {
                    store.define(secretXml(n.uuid(), n.user()));
                    LOG.info("backend " + backend + ": defined libvirt secret " + n.uuid() + " (ceph, client." + n.user() + ")");
                }
                store.setValue(n.uuid(), values.get(n.uuid()));
            }
        } finally {
            for (byte[] v : values.values()) Arrays.fill(v, (byte) 0);
        }
    }

    private byte[] key(String uuid) {
        try {
            return lookup.cephKey(uuid);
        } catch (RuntimeException e) {
            // Only the type: a lookup's message is not ours to vouch for.
            LOG.warning("backend " + backend + ": the secret lookup failed for " + uuid + " (" + e.getClass().getName() + ")");
            return null;
        }
    }

    static Store store(Connect c) {
        return new Store() {
            @Override
            public boolean exists(String uuid) throws LibvirtException {
                try {
                    c.secretLookupByUUIDString(uuid);
                    return true;
                } catch (LibvirtException e) {
                    if (e.getError() != null && e.getError().getCode() == Error.ErrorNumber.VIR_ERR_NO_SECRET) return false;
                    throw e;
                }
            }

            @Override
            public void define(String xml) throws LibvirtException {
                c.secretDefineXML(xml);
            }

            @Override
            public void setValue(String uuid, byte[] value) throws LibvirtException {
                c.secretLookupByUUIDString(uuid).setValue(value);
            }
        };
    }

    @Override
    public String toString() {
        return "rbd secrets of backend " + backend;
    }
}
