package io.limiquantix.node.libvirt.internal.storage;

import io.limiquantix.node.api.BackendFailureException;
import io.limiquantix.node.api.BackendUnavailableException;
import io.limiquantix.node.api.ConflictException;
import io.limiquantix.node.api.Feature;
import io.limiquantix.node.api.HypervisorException;
import io.limiquantix.node.api.InvalidArgumentException;
import io.limiquantix.node.api.NotFoundException;
import io.limiquantix.node.api.OperationProgress;
import io.limiquantix.node.api.ProgressListener;
import io.limiquantix.node.api.storage.DiskSource;
import io.limiquantix.node.api.storage.VolumeInfo;
import io.limiquantix.node.api.storage.VolumeProvider;
import io.limiquantix.node.api.storage.VolumeSpec;
import io.limiquantix.node.libvirt.internal.domain.XmlDoc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Logger;
import java.util.regex.Pattern;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.Error;
import org.libvirt.LibvirtException;
import org.libvirt.StoragePool;
import org.libvirt.StorageVol;
import org.libvirt.StorageVolInfo;

/**
 * The {@code local} volume provider: file volumes (raw or qcow2) in one libvirt directory storage pool on this
 * host. The pool is defined, built (its directory made), started and set to autostart on first use; an existing
 * pool of that name must be a directory pool on the configured path. Volume names are file names in the pool's
 * directory and follow the API's name rule, so no name can leave the directory. Volumes resolve to FILE sources.
 *
 * <p>Creating takes two options: {@code backingVolume=<volume>} makes a qcow2 overlay of another volume of the pool
 * (a copy-on-write clone, instant; the backing volume can then not be deleted while the clone exists), and
 * {@code copyFrom=<volume>} a full copy (libvirt's qemu-img; progress from the copy's size on disk). A volume
 * that a domain on the pool's connection refers to (defined or running, as a disk or in its backing chain) is not
 * deleted; a volume a running domain uses is not resized (the guest would not see it: that is a block resize).
 *
 * <p>Reads (info, list, resolve) run concurrently; changes (create, resize, delete) one at a time, so the checks
 * before a change still hold when it is made.
 */
public final class LocalVolumeProvider implements VolumeProvider, AutoCloseable {
    private static final Logger LOG = Logger.getLogger(LocalVolumeProvider.class.getName());
    static final String OPT_BACKING = "backingVolume";
    static final String OPT_COPY = "copyFrom";
    private static final Set<String> OPTIONS = Set.of(OPT_BACKING, OPT_COPY);
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    /** libvirt's VIR_STORAGE_VOL_RESIZE_SHRINK. */
    private static final int RESIZE_SHRINK = 4;
    private static final long PROGRESS_EVERY_MS = 500;

    private final LocalPoolConfig config;
    private final ReentrantLock changes = new ReentrantLock();
    private Connect connect; // guarded by this
    private StoragePool pool; // guarded by this; null until checked on the current connection
    private boolean closed; // guarded by this

    public LocalVolumeProvider(LocalPoolConfig config) {
        this.config = config;
    }

    @Override
    public String name() {
        return config.providerName();
    }

    public LocalPoolConfig config() {
        return config;
    }

    /** Local files: any backend that attaches file disks can use them. */
    @Override
    public Feature requiredFeature() {
        return Feature.FILE_DISK;
    }

    // --- operations ------------------------------------------------------------------------------------

    @Override
    public VolumeInfo create(VolumeSpec spec, ProgressListener progress) {
        if (spec == null) throw new InvalidArgumentException("spec", "is required");
        ProgressListener p = progress == null ? ProgressListener.NONE : progress;
        String name = volumeName("name", spec.name());
        for (String key : spec.options().keySet())
            if (!OPTIONS.contains(key))
                throw new InvalidArgumentException("options." + key, "is not an option of local volumes (they take " + OPT_BACKING + " or " + OPT_COPY + ")");
        String backing = spec.options().get(OPT_BACKING);
        String copy = spec.options().get(OPT_COPY);
        if (backing != null && copy != null)
            throw new InvalidArgumentException("options", OPT_BACKING + " and " + OPT_COPY + " exclude each other");
        if (backing != null) {
            volumeName("options." + OPT_BACKING, backing);
            if (spec.format() != DiskSource.Format.QCOW2)
                throw new InvalidArgumentException("format", "a volume with a backing volume must be QCOW2 (copy-on-write needs qcow2)");
        }
        if (copy != null) volumeName("options." + OPT_COPY, copy);
        return change("create volume " + name, (c, pool) -> {
            if (lookup(pool, name) != null)
                throw new ConflictException("name: volume " + name + " already exists in pool " + config.pool());
            p.progress(OperationProgress.phase("create", "creating", 0, name));
            StorageVol made;
            if (backing != null) {
                StorageVol parent = lookup(pool, backing);
                if (parent == null) throw new InvalidArgumentException("options." + OPT_BACKING, "no volume " + backing + " in pool " + config.pool());
                VolumeInfo pi = info(parent, backing);
                if (spec.sizeBytes() < pi.sizeBytes())
                    throw new InvalidArgumentException("sizeBytes", "must be at least the backing volume's size " + pi.sizeBytes());
                made = pool.storageVolCreateXML(VolumeXml.volume(name, spec.sizeBytes(), DiskSource.Format.QCOW2,
                    Path.of(parent.getPath()), pi.format()), 0);
            } else if (copy != null) {
                StorageVol source = lookup(pool, copy);
                if (source == null) throw new InvalidArgumentException("options." + OPT_COPY, "no volume " + copy + " in pool " + config.pool());
                VolumeInfo si = info(source, copy);
                if (spec.sizeBytes() < si.sizeBytes())
                    throw new InvalidArgumentException("sizeBytes", "must be at least the copied volume's size " + si.sizeBytes());
                made = copy(pool, source, si, name, spec, p);
            } else {
                made = pool.storageVolCreateXML(VolumeXml.volume(name, spec.sizeBytes(), spec.format(), null, null), 0);
            }
            VolumeInfo info = info(made, name);
            p.progress(OperationProgress.phase("create", "done", 1, name));
            LOG.info("volume provider " + name() + ": created " + info);
            return info;
        });
    }

    /** A full copy through libvirt (qemu-img convert), with progress from the new file's size while it runs. */
    private StorageVol copy(StoragePool pool, StorageVol source, VolumeInfo si, String name, VolumeSpec spec, ProgressListener p)
        throws LibvirtException {
        Path target = config.path().resolve(name);
        long total = Math.max(1, si.allocatedBytes() > 0 ? si.allocatedBytes() : si.sizeBytes());
        Thread watcher = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    Thread.sleep(PROGRESS_EVERY_MS);
                    long done = Files.exists(target) ? Math.min(total, Files.size(target)) : 0;
                    p.progress(new OperationProgress("create", "copying", Math.min(0.99, (double) done / total), total, done,
                        total - done, "copying " + si.name() + " to " + name));
                } catch (InterruptedException e) {
                    return;
                } catch (java.io.IOException | RuntimeException e) {
                    // a listener that throws or a file that went away: no more progress, the copy goes on
                }
            }
        }, "lq-local-volume-copy-progress");
        watcher.setDaemon(true);
        watcher.start();
        try {
            return pool.storageVolCreateXMLFrom(VolumeXml.volume(name, spec.sizeBytes(), spec.format(), null, null), source, 0);
        } finally {
            watcher.interrupt();
        }
    }

    @Override
    public VolumeInfo info(String volume) {
        String name = volumeName("volume", volume);
        return read("read volume " + name, (c, pool) -> info(existing(pool, name), name));
    }

    @Override
    public List<VolumeInfo> list() {
        return read("list volumes", (c, pool) -> {
            pool.refresh(0); // files may have come or gone behind libvirt's back
            List<VolumeInfo> out = new ArrayList<>();
            for (String n : pool.listVolumes()) {
                if (!NAME.matcher(n).matches()) continue; // not a name this provider can address
                StorageVol v = lookup(pool, n);
                if (v == null) continue; // removed meanwhile
                try {
                    out.add(info(v, n));
                } catch (LibvirtException e) {
                    if (!noVolume(e)) throw e;
                }
            }
            return out;
        });
    }

    @Override
    public VolumeInfo resize(String volume, long newSizeBytes, boolean allowShrink) {
        String name = volumeName("volume", volume);
        if (newSizeBytes < 1 || newSizeBytes > VolumeSpec.MAX_BYTES)
            throw new InvalidArgumentException("newSizeBytes", "must be between 1 and " + VolumeSpec.MAX_BYTES + " (was " + newSizeBytes + ")");
        return change("resize volume " + name, (c, pool) -> {
            StorageVol v = existing(pool, name);
            VolumeInfo before = info(v, name);
            if (newSizeBytes < before.sizeBytes() && !allowShrink)
                throw new InvalidArgumentException("newSizeBytes", "is smaller than the current size " + before.sizeBytes() + " of "
                    + name + "; shrinking needs allowShrink (and loses the data beyond the new size)");
            List<String> running = users(c, v.getPath(), true);
            if (!running.isEmpty())
                throw new ConflictException("volume " + name + " is in use by running VM(s) " + running + "; resize it while they are stopped");
            if (newSizeBytes != before.sizeBytes()) v.resize(newSizeBytes, newSizeBytes < before.sizeBytes() ? RESIZE_SHRINK : 0);
            return info(v, name);
        });
    }

    @Override
    public void delete(String volume) {
        String name = volumeName("volume", volume);
        change("delete volume " + name, (c, pool) -> {
            StorageVol v = existing(pool, name);
            String path = v.getPath();
            List<String> users = users(c, path, false);
            if (!users.isEmpty()) throw new ConflictException("volume " + name + " is in use by VM(s) " + users + "; detach it or delete them first");
            List<String> children = new ArrayList<>();
            pool.refresh(0);
            for (String n : pool.listVolumes()) {
                if (n.equals(name)) continue;
                StorageVol other = lookup(pool, n);
                if (other != null && path.equals(XmlDoc.parse(other.getXMLDesc(0)).string("/volume/backingStore/path"))) children.add(n);
            }
            if (!children.isEmpty())
                throw new ConflictException("volume " + name + " is the backing volume of " + children + "; delete them first");
            v.delete(0);
            LOG.info("volume provider " + name() + ": deleted volume " + name);
            return null;
        });
    }

    @Override
    public DiskSource resolve(String volume) {
        String name = volumeName("volume", volume);
        return read("resolve volume " + name, (c, pool) -> {
            StorageVol v = existing(pool, name);
            return DiskSource.file(v.getPath(), info(v, name).format());
        });
    }

    // --- helpers ---------------------------------------------------------------------------------------

    /** Local volumes are plain names of the pool: no pool prefix, no snapshot, nothing that leaves the directory. */
    static String volumeName(String field, String value) {
        if (value == null) throw new InvalidArgumentException(field, "is required");
        if (!NAME.matcher(value).matches())
            throw new InvalidArgumentException(field, "must be 1 to 64 ASCII letters, digits, '.', '_' or '-', starting with a letter or digit"
                + " (a local volume is a file name in the pool's directory: no '/', '@' or '..')");
        return value;
    }

    private VolumeInfo info(StorageVol v, String name) throws LibvirtException {
        StorageVolInfo i = v.getInfo();
        XmlDoc x = XmlDoc.parse(v.getXMLDesc(0));
        DiskSource.Format format = "qcow2".equals(x.string("/volume/target/format/@type")) ? DiskSource.Format.QCOW2 : DiskSource.Format.RAW;
        String backing = x.string("/volume/backingStore/path");
        String parent = null;
        if (!backing.isEmpty()) {
            Path b = Path.of(backing);
            parent = config.path().equals(b.getParent()) ? b.getFileName().toString() : backing;
        }
        return new VolumeInfo(name(), name, i.capacity, i.allocation, format, parent);
    }

    private StorageVol existing(StoragePool pool, String name) throws LibvirtException {
        StorageVol v = lookup(pool, name);
        if (v == null) throw new NotFoundException("volume provider " + name() + ": no volume " + name + " in pool " + config.pool());
        return v;
    }

    private static StorageVol lookup(StoragePool pool, String name) throws LibvirtException {
        try {
            return pool.storageVolLookupByName(name);
        } catch (LibvirtException e) {
            if (noVolume(e)) return null;
            throw e;
        }
    }

    private static boolean noVolume(LibvirtException e) {
        return e.getError() != null && e.getError().getCode() == Error.ErrorNumber.VIR_ERR_NO_STORAGE_VOL;
    }

    /** Domains on this connection whose XML names {@code path} as a disk source or in a backing chain. */
    private static List<String> users(Connect c, String path, boolean runningOnly) throws LibvirtException {
        List<String> out = new ArrayList<>();
        for (Domain d : c.listAllDomains(0)) {
            try {
                if (runningOnly && d.isActive() != 1) continue;
                // the path is the pool's directory and a checked name: no quote can reach the expression
                if (XmlDoc.parse(d.getXMLDesc(0)).exists("/domain/devices/disk//source[@file='" + path + "']"))
                    out.add(d.getName() + " (" + d.getUUIDString() + ")");
            } catch (LibvirtException e) {
                if (e.getError() == null || e.getError().getCode() != Error.ErrorNumber.VIR_ERR_NO_DOMAIN) throw e;
            }
        }
        return out;
    }

    @FunctionalInterface
    private interface Op<T> {
        T apply(Connect c, StoragePool pool) throws LibvirtException;
    }

    private <T> T change(String what, Op<T> op) {
        changes.lock();
        try {
            return read(what, op);
        } finally {
            changes.unlock();
        }
    }

    private <T> T read(String what, Op<T> op) {
        Connect c;
        StoragePool p;
        try {
            synchronized (this) {
                if (closed) throw new BackendUnavailableException("volume provider " + name() + " is closed");
                if (connect == null) connect = new Connect(config.uri(), false);
                if (pool == null) pool = ensurePool(connect);
                c = connect;
                p = pool;
            }
        } catch (LibvirtException e) {
            drop();
            throw StorageErrors.map(name(), what + " (connecting to " + config.uri() + ", pool " + config.pool() + ")", e);
        }
        try {
            return op.apply(c, p);
        } catch (LibvirtException e) {
            if (StorageErrors.isConnectionError(e)) drop();
            else forgetPool(); // the pool may have been stopped or removed behind our back: check it again next time
            throw StorageErrors.map(name(), what, e);
        } catch (HypervisorException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new BackendFailureException("volume provider " + name() + ": " + what + " failed unexpectedly: " + e, e);
        }
    }

    /** The configured pool: defined, built, started and autostarted if needed; refused if it is something else. */
    private StoragePool ensurePool(Connect c) throws LibvirtException {
        StoragePool p;
        try {
            p = c.storagePoolLookupByName(config.pool());
        } catch (LibvirtException e) {
            if (e.getError() == null || e.getError().getCode() != Error.ErrorNumber.VIR_ERR_NO_STORAGE_POOL) throw e;
            p = null;
        }
        if (p == null) {
            p = c.storagePoolDefineXML(VolumeXml.dirPool(config.pool(), config.path()), 0);
            p.build(0);
            LOG.info("volume provider " + name() + ": defined directory pool " + config.pool() + " at " + config.path());
        } else {
            XmlDoc x = XmlDoc.parse(p.getXMLDesc(0));
            String type = x.string("/pool/@type");
            String path = x.string("/pool/target/path");
            if (!"dir".equals(type) || !Path.of(path).normalize().equals(config.path()))
                throw new ConflictException("pool: libvirt storage pool " + config.pool() + " exists as a '" + type + "' pool at " + path
                    + ", not a directory pool at the configured path " + config.path());
        }
        if (p.isActive() != 1) p.create(0);
        if (!p.getAutostart()) p.setAutostart(1);
        return p;
    }

    private synchronized void forgetPool() {
        pool = null;
    }

    private synchronized void drop() {
        pool = null;
        if (connect != null) {
            try {
                connect.close();
            } catch (LibvirtException | RuntimeException e) {
                // already gone
            }
        }
        connect = null;
    }

    /** Closes the connection; the pool and its volumes stay (VMs keep their disks). */
    @Override
    public synchronized void close() {
        closed = true;
        drop();
    }

    @Override
    public String toString() {
        return "LocalVolumeProvider[" + name() + ", pool " + config.pool() + " at " + config.path() + " on " + config.uri() + "]";
    }

    /** For tests: the options as a map. */
    static Map<String, String> backingOf(String volume) {
        return Map.of(OPT_BACKING, volume);
    }
}
