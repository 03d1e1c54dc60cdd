package io.limiquantix.node.api;

import io.limiquantix.node.api.internal.Checks;

/**
 * Virtual CPUs. A topology of 0/0/0 lets the backend choose; otherwise sockets*cores*threads must equal
 * vcpus. {@link Mode#DEFAULT} lets the backend choose a CPU model that is safe for the accelerator.
 */
public record CpuSpec(int vcpus, int sockets, int cores, int threads, Mode mode, String model) {
    public static final int MAX_VCPUS = 512;

    public enum Mode { DEFAULT, HOST_PASSTHROUGH, HOST_MODEL, MAXIMUM, CUSTOM }

    public CpuSpec {
        Checks.range("vcpus", vcpus, 1, MAX_VCPUS);
        Checks.range("sockets", sockets, 0, MAX_VCPUS);
        Checks.range("cores", cores, 0, MAX_VCPUS);
        Checks.range("threads", threads, 0, MAX_VCPUS);
        boolean anyTopology = sockets != 0 || cores != 0 || threads != 0;
        if (anyTopology && (long) sockets * cores * threads != vcpus)
            throw new InvalidArgumentException("sockets", "sockets*cores*threads (" + sockets + "*" + cores + "*" + threads
                + ") must equal vcpus (" + vcpus + ")");
        mode = mode == null ? Mode.DEFAULT : mode;
        if (mode == Mode.CUSTOM) Checks.name("model", Checks.notNull("model", model));
        else if (model != null) throw new InvalidArgumentException("model", "is only allowed with mode CUSTOM");
    }

    public static CpuSpec of(int vcpus) {
        return new CpuSpec(vcpus, 0, 0, 0, Mode.DEFAULT, null);
    }
}
