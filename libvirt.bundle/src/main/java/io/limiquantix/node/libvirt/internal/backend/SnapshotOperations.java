package io.limiquantix.node.libvirt.internal.backend;

import io.limiquantix.node.api.ConflictException;
import io.limiquantix.node.api.Feature;
import io.limiquantix.node.api.NotFoundException;
import io.limiquantix.node.api.OperationProgress;
import io.limiquantix.node.api.ProgressListener;
import io.limiquantix.node.api.SnapshotInfo;
import io.limiquantix.node.api.SnapshotSpec;
import io.limiquantix.node.api.UnsupportedFeatureException;
import io.limiquantix.node.libvirt.internal.domain.SnapshotXml;
import io.limiquantix.node.libvirt.internal.domain.XmlDoc;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.libvirt.Domain;
import org.libvirt.DomainSnapshot;
import org.libvirt.LibvirtException;

/**
 * Snapshots through libvirt: internal ones (inside qcow2 images, with the guest's memory when it runs) and
 * external ones (new overlay files, optionally with a memory file next to the first disk).
 */
final class SnapshotOperations {
    private static final Logger LOG = Logger.getLogger(SnapshotOperations.class.getName());
    /** libvirt 9.9.0 is the first to revert to external snapshots ({@code virConnectGetLibVersion} form). */
    static final long EXTERNAL_REVERT_SINCE = 9_009_000L;

    private final LibvirtConnection conn;
    private final boolean local;

    SnapshotOperations(LibvirtConnection conn) {
        this(conn, false);
    }

    /** {@code local}: libvirtd runs on this host, so an external snapshot's memory file can be removed on delete. */
    SnapshotOperations(LibvirtConnection conn, boolean local) {
        this.conn = conn;
        this.local = local;
    }

    SnapshotInfo create(String vmId, SnapshotSpec spec, ProgressListener progress) {
        ProgressListener p = progress == null ? ProgressListener.NONE : progress;
        return conn.call("create snapshot " + spec.name() + " of VM " + vmId, c -> {
            Domain d = Domains.lookup(c, vmId);
            if (Arrays.asList(d.snapshotListNames()).contains(spec.name()))
                throw new ConflictException("VM " + vmId + " already has a snapshot named " + spec.name());
            boolean active = d.isActive() == 1;
            if (spec.includeMemory() && !active)
                throw new ConflictException("includeMemory: VM " + vmId + " is not running, so it has no memory to save");
            String memoryFile = null;
            int flags = 0;
            if (!spec.external()) {
                if (active && !spec.includeMemory())
                    throw new UnsupportedFeatureException(Feature.SNAPSHOT_INTERNAL, "includeMemory: libvirt takes internal snapshots of a"
                        + " running VM with its memory; ask for includeMemory, or for an external disk-only snapshot");
            } else if (spec.includeMemory()) {
                memoryFile = memoryFile(d, spec.name());
            } else {
                flags = Domain.SnapshotCreateFlags.DISK_ONLY | Domain.SnapshotCreateFlags.ATOMIC;
            }
            p.progress(OperationProgress.phase("snapshot", "creating", -1, spec.name()));
            DomainSnapshot s = d.snapshotCreateXML(SnapshotXml.request(spec.name(), spec.description(), memoryFile), flags);
            SnapshotInfo info = SnapshotXml.info(s.getXMLDesc(), true);
            p.progress(OperationProgress.phase("snapshot", "done", 1, spec.name()));
            return info;
        });
    }

    /** External memory goes next to the VM's first file disk, named after the VM and the snapshot. */
    private static String memoryFile(Domain d, String snapshot) throws LibvirtException {
        XmlDoc xml = XmlDoc.parse(d.getXMLDesc(0));
        String disk = xml.string("/domain/devices/disk[@type='file' and @device='disk'][1]/source/@file");
        if (disk.isEmpty())
            throw new UnsupportedFeatureException(Feature.SNAPSHOT_MEMORY, "external memory snapshots need a file disk to put the memory file beside");
        String dir = disk.substring(0, disk.lastIndexOf('/') + 1);
        return dir + d.getName() + "." + snapshot + ".memory";
    }

    void revert(String vmId, String name, ProgressListener progress) {
        Domains.checkName("snapshotName", name);
        ProgressListener p = progress == null ? ProgressListener.NONE : progress;
        conn.call("revert VM " + vmId + " to snapshot " + name, c -> {
            Domain d = Domains.lookup(c, vmId);
            DomainSnapshot s = find(d, vmId, name);
            long version = c.getLibVersion();
            if (version < EXTERNAL_REVERT_SINCE && SnapshotXml.info(s.getXMLDesc(), false).external())
                throw new UnsupportedFeatureException(Feature.SNAPSHOT_EXTERNAL, "snapshotName: " + name + " is an external snapshot,"
                    + " and libvirt " + CapabilityProbe.dotted(version) + " cannot revert to external snapshots (libvirt 9.9 can);"
                    + " its files stay as they are: the base image holds the disk state of the moment it was taken");
            p.progress(OperationProgress.phase("revert", "reverting", -1, name));
            d.revertToSnapshot(s);
            p.progress(OperationProgress.phase("revert", "done", 1, name));
            return null;
        });
    }

    void delete(String vmId, String name) {
        Domains.checkName("snapshotName", name);
        conn.call("delete snapshot " + name + " of VM " + vmId, c -> {
            Domain d = Domains.lookup(c, vmId);
            DomainSnapshot s = find(d, vmId, name);
            // libvirt merges an external snapshot's overlays back (block commit) but leaves its memory file.
            String memoryFile = XmlDoc.parse(s.getXMLDesc()).string("/domainsnapshot/memory[@snapshot='external']/@file");
            s.delete(0);
            if (local && !memoryFile.isEmpty()) removeMemoryFile(memoryFile);
            return null;
        });
    }

    List<SnapshotInfo> list(String vmId) {
        return conn.call("list snapshots of VM " + vmId, c -> {
            Domain d = Domains.lookup(c, vmId);
            String current = currentName(d);
            List<SnapshotInfo> out = new ArrayList<>();
            for (String name : d.snapshotListNames()) {
                try {
                    out.add(SnapshotXml.info(d.snapshotLookupByName(name).getXMLDesc(), name.equals(current)));
                } catch (LibvirtException e) {
                    // deleted between listing and lookup: it is no longer a snapshot of this VM
                    if (!(ErrorMapping.map("", "", e) instanceof NotFoundException)) throw e;
                }
            }
            return out;
        });
    }

    private static void removeMemoryFile(String file) {
        try {
            Files.deleteIfExists(Path.of(file));
        } catch (IOException | RuntimeException e) {
            // The snapshot is gone either way; a stray file only costs space, so say where it is.
            LOG.log(Level.WARNING, "snapshot deleted, but its memory file " + file + " could not be removed", e);
        }
    }

    private static DomainSnapshot find(Domain d, String vmId, String name) throws LibvirtException {
        if (!Arrays.asList(d.snapshotListNames()).contains(name))
            throw new NotFoundException("VM " + vmId + " has no snapshot named " + name);
        return d.snapshotLookupByName(name);
    }

    private static String currentName(Domain d) throws LibvirtException {
        if (d.hasCurrentSnapshot() != 1) return null;
        return XmlDoc.parse(d.snapshotCurrent().getXMLDesc()).string("/domainsnapshot/name");
    }
}
