package io.limiquantix.node.api;

public enum OsFamily { LINUX, WINDOWS, OTHER }
