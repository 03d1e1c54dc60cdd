package io.limiquantix.node.cloudhv.internal.backend;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.limiquantix.node.api.BackendFailureException;
import io.limiquantix.node.api.ConflictException;
import io.limiquantix.node.api.Feature;
import io.limiquantix.node.api.NotFoundException;
import io.limiquantix.node.api.OperationProgress;
import io.limiquantix.node.api.ProgressListener;
import io.limiquantix.node.api.SnapshotInfo;
import io.limiquantix.node.api.SnapshotSpec;
import io.limiquantix.node.api.UnsupportedFeatureException;
import io.limiquantix.node.api.VmEvent;
import io.limiquantix.node.api.VmState;
import io.limiquantix.node.cloudhv.internal.chapi.ChRequests;
import io.limiquantix.node.cloudhv.internal.vmm.VmmProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Snapshots as Cloud Hypervisor makes them: the whole VM state (memory, vCPUs, devices) written by
 * {@code vm.snapshot} into {@code snapshots/<name>/} of the VM's directory, taken while the VM is paused.
 * Disks are not part of it, so these are memory snapshots only: internal or external disk snapshots are
 * refused. Reverting needs a fresh VMM ({@code vm.restore} only works on one that holds no VM).
 */
final class VmSnapshots {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What is kept beside CH's own files; {@code createdAt} in epoch milliseconds. */
    record Meta(String name, String description, long createdAt, VmState vmState) {
    }

    private VmSnapshots() {}

    static SnapshotInfo create(ManagedVm vm, SnapshotSpec spec, ProgressListener progress) {
        if (spec.external())
            throw new UnsupportedFeatureException(Feature.SNAPSHOT_EXTERNAL, "Cloud Hypervisor snapshots do not include disks");
        if (!spec.includeMemory())
            throw new UnsupportedFeatureException(Feature.SNAPSHOT_INTERNAL, "Cloud Hypervisor snapshots always include memory and never disks;"
                + " ask for includeMemory");
        synchronized (vm) {
            vm.requireRunning();
            Path dir = vm.dir().snapshots().resolve(spec.name());
            if (Files.exists(dir)) throw new ConflictException("VM " + vm.id() + " already has a snapshot named " + spec.name());
            VmState before = vm.status().state();
            try {
                Files.createDirectories(dir);
                if (before == VmState.RUNNING) vm.call("vm.pause", new ChRequests.VmPause());
                progress.progress(OperationProgress.phase("snapshot", "saving", 0.1, "VM paused; writing its state"));
                try {
                    vm.call("vm.snapshot", new ChRequests.VmSnapshot(dir.toUri().toString()));
                } finally {
                    if (before == VmState.RUNNING) vm.call("vm.resume", new ChRequests.VmResume());
                }
                Meta meta = new Meta(spec.name(), spec.description(), System.currentTimeMillis(), before);
                JSON.writeValue(dir.resolve("lq-snapshot.json").toFile(), meta);
            } catch (IOException | RuntimeException e) {
                deleteTree(dir);
                if (e instanceof RuntimeException r) throw r;
                throw new BackendFailureException("cannot store snapshot " + spec.name() + " of VM " + vm.id() + ": " + e.getMessage(), e);
            }
            progress.progress(OperationProgress.phase("snapshot", "done", 1, ""));
            vm.ctx().events().publish(VmEvent.Type.SNAPSHOT_CREATED, vm.id(), vm.spec().name(), spec.name());
            return info(read(vm, spec.name()));
        }
    }

    static void revert(ManagedVm vm, String name, ProgressListener progress) {
        synchronized (vm) {
            Meta meta = read(vm, name);
            Path dir = vm.dir().snapshots().resolve(name);
            progress.progress(OperationProgress.phase("revert", "starting", 0.1, "starting a fresh VMM to restore into"));
            VmmProcess fresh;
            try {
                // A VMM that still runs the VM holds its socket: it goes first.
                vm.stopQuietly();
                vm.ensureTaps();
                fresh = vm.ctx().requireLauncher().launch(vm.dir().socket(), vm.dir().vmmLog());
            } catch (IOException e) {
                throw new BackendFailureException("cannot start a VMM to revert VM " + vm.id() + ": " + e.getMessage(), e);
            }
            vm.runWith(fresh);
            vm.call("vm.restore", new ChRequests.VmRestore(dir.toUri().toString(), false));
            if (meta.vmState() == VmState.RUNNING) vm.call("vm.resume", new ChRequests.VmResume());
            progress.progress(OperationProgress.phase("revert", "done", 1, ""));
            vm.ctx().events().publish(VmEvent.Type.SNAPSHOT_REVERTED, vm.id(), vm.spec().name(), name);
        }
    }

    static void delete(ManagedVm vm, String name) {
        synchronized (vm) {
            read(vm, name);
            deleteTree(vm.dir().snapshots().resolve(name));
            vm.ctx().events().publish(VmEvent.Type.SNAPSHOT_DELETED, vm.id(), vm.spec().name(), name);
        }
    }

    static List<SnapshotInfo> list(ManagedVm vm) {
        List<SnapshotInfo> out = new ArrayList<>();
        Path root = vm.dir().snapshots();
        if (!Files.isDirectory(root)) return out;
        try (var dirs = Files.list(root)) {
            for (Path d : dirs.sorted().toList()) {
                Path f = d.resolve("lq-snapshot.json");
                if (Files.isRegularFile(f)) out.add(info(JSON.readValue(f.toFile(), Meta.class)));
            }
        } catch (IOException e) {
            throw new BackendFailureException("cannot list the snapshots of VM " + vm.id() + ": " + e.getMessage(), e);
        }
        out.sort(Comparator.comparing(SnapshotInfo::createdAt));
        return out;
    }

    private static Meta read(ManagedVm vm, String name) {
        Path f = vm.dir().snapshots().resolve(name).resolve("lq-snapshot.json");
        if (!Files.isRegularFile(f)) throw new NotFoundException("VM " + vm.id() + " has no snapshot named " + name);
        try {
            return JSON.readValue(f.toFile(), Meta.class);
        } catch (IOException e) {
            throw new BackendFailureException("snapshot " + name + " of VM " + vm.id() + " is unreadable: " + e.getMessage(), e);
        }
    }

    private static SnapshotInfo info(Meta m) {
        return new SnapshotInfo(m.name(), m.description(), Instant.ofEpochMilli(m.createdAt()), m.vmState(), true, false, null, false);
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) return;
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            throw new BackendFailureException("cannot remove " + dir + ": " + e.getMessage(), e);
        }
    }
}
