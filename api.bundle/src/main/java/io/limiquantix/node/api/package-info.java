/** The Hypervisor contract: the service every backend provides, its value types, typed errors and events. */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.3.0")
package io.limiquantix.node.api;
