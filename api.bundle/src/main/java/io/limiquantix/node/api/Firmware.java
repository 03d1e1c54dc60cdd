package io.limiquantix.node.api;

public enum Firmware { BIOS, UEFI, UEFI_SECURE_BOOT }
