/**
 * Containers as OpenVZ's vzctl ran them, on a stock kernel: a ploop image holding the root file
 * system (mounted through the jvz node), a shell-style {@code CTID.conf}, OS templates as tarball
 * caches, processes run by runc in their own namespaces and cgroups, and a network namespace per
 * container.
 */
package dev.jvz.ct;
