/** Storage extension point: volume providers and the backend-neutral description of a disk's source. */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.limiquantix.node.api.storage;
