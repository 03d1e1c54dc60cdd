package io.limiquantix.node.api;

/** How guest code runs: hardware virtualization, software emulation, or not at all. */
public enum Accelerator { KVM, TCG, NONE }
