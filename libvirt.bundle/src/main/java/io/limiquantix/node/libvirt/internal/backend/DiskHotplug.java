package io.limiquantix.node.libvirt.internal.backend;

import io.limiquantix.node.api.BackendFailureException;
import io.limiquantix.node.api.ConflictException;
import io.limiquantix.node.api.DiskSpec;
import io.limiquantix.node.api.InvalidArgumentException;
import io.limiquantix.node.api.NotFoundException;
import io.limiquantix.node.libvirt.internal.domain.DomainMapper;
import io.limiquantix.node.libvirt.internal.domain.DomainModel;
import io.limiquantix.node.libvirt.internal.domain.DomainXmlWriter;
import io.limiquantix.node.libvirt.internal.domain.XmlDoc;
import java.util.HashSet;
import java.util.Set;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;
import org.w3c.dom.Element;

/**
 * Disk attach and detach, on the definition and, when the VM runs, on the running guest. Disks are found
 * by their user alias {@code ua-<name>}, which libvirt keeps in both the persistent and the live XML, so
 * the node needs no table of its own from disk names to targets.
 */
final class DiskHotplug {
    private static final int CONFIG = Domain.DeviceModifyFlags.CONFIG;
    private static final int LIVE = Domain.DeviceModifyFlags.LIVE;

    private final LibvirtConnection conn;
    private final RbdSecrets secrets;

    DiskHotplug(LibvirtConnection conn, RbdSecrets secrets) {
        this.conn = conn;
        this.secrets = secrets;
    }

    void attach(String vmId, DiskSpec disk) {
        if (disk == null) throw new InvalidArgumentException("disk", "is required");
        conn.call("attach disk " + disk.name() + " to VM " + vmId, c -> {
            Domain d = Domains.lookup(c, vmId);
            boolean active = d.isActive() == 1;
            XmlDoc config = XmlDoc.parse(d.getXMLDesc(org.libvirt.Domain.XMLFlags.INACTIVE));
            XmlDoc live = active ? XmlDoc.parse(d.getXMLDesc(0)) : null;
            String alias = DomainMapper.DISK_ALIAS_PREFIX + disk.name();
            if (byAlias(config, alias) != null || (live != null && byAlias(live, alias) != null))
                throw new ConflictException("VM " + vmId + " already has a disk named " + disk.name());
            Set<String> taken = new HashSet<>(config.strings("/domain/devices/disk/target/@dev"));
            if (live != null) taken.addAll(live.strings("/domain/devices/disk/target/@dev"));
            DomainModel.Disk model;
            try {
                model = DomainMapper.disk(disk, taken);
            } catch (InvalidArgumentException e) {
                throw e.under("disk");
            }
            RbdSecrets.Need secret = RbdSecrets.fromSpec("disk", disk);
            if (secret != null) secrets.ensure(RbdSecrets.store(c), java.util.List.of(secret));
            // One call for both: libvirt applies LIVE|CONFIG together or not at all.
            d.attachDeviceFlags(DomainXmlWriter.writeDisk(model), CONFIG | (active ? LIVE : 0));
            return null;
        });
    }

    void detach(String vmId, String diskName) {
        Domains.checkName("diskName", diskName);
        conn.call("detach disk " + diskName + " from VM " + vmId, c -> {
            Domain d = Domains.lookup(c, vmId);
            String alias = DomainMapper.DISK_ALIAS_PREFIX + diskName;
            boolean active = d.isActive() == 1;
            Element inConfig = byAlias(XmlDoc.parse(d.getXMLDesc(org.libvirt.Domain.XMLFlags.INACTIVE)), alias);
            Element inLive = active ? byAlias(XmlDoc.parse(d.getXMLDesc(0)), alias) : null;
            if (inConfig == null && inLive == null) throw new NotFoundException("VM " + vmId + " has no disk named " + diskName);
            // Live first: if the guest refuses, the definition is still untouched and nothing is half done.
            if (inLive != null) d.detachDeviceFlags(XmlDoc.serialize(inLive), LIVE);
            if (inConfig != null) {
                try {
                    d.detachDeviceFlags(XmlDoc.serialize(inConfig), CONFIG);
                } catch (LibvirtException e) {
                    if (inLive == null) throw e;
                    throw new BackendFailureException("disk " + diskName + " was detached from the running guest of VM " + vmId
                        + " but is still in its definition (it returns at the next start): " + e.getMessage(), e);
                }
            }
            return null;
        });
    }

    /** The disk with this user alias, compared in Java rather than spliced into an XPath expression. */
    static Element byAlias(XmlDoc xml, String alias) {
        for (Element disk : xml.elements("/domain/devices/disk"))
            for (Element a : xml.elementsUnder(disk, "alias"))
                if (alias.equals(a.getAttribute("name"))) return disk;
        return null;
    }
}
