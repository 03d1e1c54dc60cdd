package io.limiquantix.node.cloudhv.internal.net;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * TEST DOUBLE for {@link TapDevices}: touches no kernel. Keeps taps (name → bridge) in memory, records every
 * call as a line ("create lqch…0 br-test", "remove …"), knows a fixed set of bridges, and can be told to
 * fail creating one tap. {@code beforeCreate} lets a test look at the world at the moment a tap is made.
 */
public final class RecordingFakeTapDevices implements TapDevices {
    private final Set<String> bridges;
    private final Map<String, String> taps = new LinkedHashMap<>();
    private final List<String> calls = new ArrayList<>();
    private volatile String failCreating;
    private volatile Consumer<String> beforeCreate = t -> { };

    public RecordingFakeTapDevices(Set<String> bridges) {
        this.bridges = Set.copyOf(bridges);
    }

    public void failCreating(String tap) {
        failCreating = tap;
    }

    public void beforeCreate(Consumer<String> hook) {
        beforeCreate = hook;
    }

    public synchronized List<String> calls() {
        return List.copyOf(calls);
    }

    public synchronized Map<String, String> taps() {
        return Map.copyOf(taps);
    }

    /** As if the host had rebooted: persistent taps are gone. */
    public synchronized void forget(String tap) {
        taps.remove(tap);
    }

    @Override
    public boolean usable() {
        return true;
    }

    @Override
    public synchronized boolean exists(String tap) {
        return taps.containsKey(tap);
    }

    @Override
    public synchronized void create(String tap, String bridge) throws IOException {
        calls.add("create " + tap + " " + bridge);
        beforeCreate.accept(tap);
        if (!bridges.contains(bridge)) throw new IOException("bridge " + bridge + " does not exist on this host (fake)");
        if (tap.equals(failCreating)) throw new IOException("cannot create tap " + tap + " (fake failure)");
        if (taps.containsKey(tap)) throw new IOException("tap " + tap + " exists (fake)");
        taps.put(tap, bridge);
    }

    @Override
    public synchronized void remove(String tap) {
        calls.add("remove " + tap);
        taps.remove(tap);
    }
}
