# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Is a path safe for the collection to create, chown, mount over or delete?

Pure: no I/O. Used by the config pipeline (plugin_utils/config/schema.py: every config key naming such a path), by
the ``aiplatform.cluster.safe_path`` test (the roles' and playbooks' first asserts, so that role-variable
overrides are checked too) and by the ``data_dir`` module on the node (the path as given and, when it
exists, where its links lead). docs/config.md ("Paths the collection may change") lists the rules.

A path is safe when it is
- absolute and written in normal form: no ``..`` or ``.`` component, no ``//``, no trailing ``/``,
  no white space or control character at either end, no ``~``;
- at least ``min_depth`` components deep (2 for what is chowned or deleted: ``/srv/nfs``, not ``/data``);
- not a system directory (``SYSTEM_DIRS``) and not a parent of one (``/usr`` is a parent of ``/usr/bin``);
- not inside a system tree (``SYSTEM_TREES``: ``/etc/...``, ``/proc/...``, ``/var/lib/kubelet/...``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Directories of the OS and of the software the collection installs: never created, chowned, mounted over
# or deleted as data, nor any of their parents.
SYSTEM_DIRS = frozenset((
    "/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib32", "/lib64", "/libx32", "/media", "/mnt", "/opt",
    "/proc", "/root", "/run", "/sbin", "/snap", "/srv", "/sys", "/tmp",
    "/usr", "/usr/bin", "/usr/games", "/usr/include", "/usr/lib", "/usr/lib32", "/usr/lib64", "/usr/libexec",
    "/usr/local", "/usr/local/bin", "/usr/local/etc", "/usr/local/games", "/usr/local/include", "/usr/local/lib",
    "/usr/local/man", "/usr/local/sbin", "/usr/local/share", "/usr/local/src", "/usr/sbin", "/usr/share", "/usr/src",
    "/var", "/var/backups", "/var/cache", "/var/lib", "/var/local", "/var/lock", "/var/log", "/var/mail", "/var/opt",
    "/var/run", "/var/spool", "/var/tmp",
))

# Trees nothing of the collection's data may live in: the kernel's, the OS's configuration and programs,
# the package managers' state, and what Kubernetes, etcd and the container runtimes own (reset.yml and
# kubeadm manage those themselves).
SYSTEM_TREES = (
    "/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/proc", "/run", "/sbin", "/sys",
    "/usr/bin", "/usr/include", "/usr/lib", "/usr/lib32", "/usr/lib64", "/usr/libexec", "/usr/sbin",
    "/var/lib/apt", "/var/lib/cni", "/var/lib/containerd", "/var/lib/docker", "/var/lib/dpkg", "/var/lib/etcd",
    "/var/lib/kubelet", "/var/lock", "/var/run",
)

# The marker a data directory gets when the collection created it (reset.yml deletes only those).
MARKER = ".aiplatform-created"


def path_problem(path, min_depth=2):
    """``None`` when ``path`` is safe, else ``(problem, fix)``: two phrases for an error message."""
    if not isinstance(path, str):
        return ("is not a path (found %s)" % type(path).__name__, "write an absolute directory, e.g. /srv/nfs/share")
    if path == "":
        return ("is empty", "write an absolute directory, e.g. /srv/nfs/share")
    if path != path.strip() or any(ord(c) < 32 or ord(c) == 127 for c in path):
        return ("has white space at an end or a control character", "write the path without them")
    if not path.startswith("/"):
        return ("is not an absolute path", "write the whole path from /, e.g. /srv/nfs/share")
    parts = path.split("/")[1:]
    normal = "/" + "/".join(p for p in parts if p not in ("", "."))
    if ".." in parts:
        return ("has a '..' component", "write the directory it means without '..'")
    if path != "/" and (path.endswith("/") or "" in parts or "." in parts):
        return ("is not in normal form (an empty, '.' or trailing '/' component)", "write it as %s" % normal)
    if path in SYSTEM_DIRS:
        return ("is a system directory", "use a directory of its own, e.g. %s" % _example(path))
    for tree in SYSTEM_TREES:
        if path.startswith(tree + "/"):
            return ("is inside %s, which belongs to the system" % tree,
                    "use a directory of its own elsewhere, e.g. under /srv or /var/lib/aiplatform")
    for system in SYSTEM_DIRS:
        if system.startswith(path + "/"):
            return ("is a parent of the system directory %s" % system, "use a directory of its own, e.g. %s"
                    % _example(path))
    depth = len(parts)
    if depth < min_depth:
        return ("is only %d component%s deep (at least %d)" % (depth, "" if depth == 1 else "s", min_depth),
                "use a directory at least %d levels deep, e.g. %s/aiplatform" % (min_depth, path))
    return None


def _example(path):
    """A safe directory of its own next to ``path`` to suggest."""
    if path not in SYSTEM_DIRS or path in ("/srv", "/var/lib", "/mnt", "/opt", "/home", "/media", "/var/opt",
                                           "/var/local"):
        return path + "/aiplatform"
    return "/srv/aiplatform"


def path_error(path, min_depth=2):
    """``path_problem`` as one sentence, or ``""`` when the path is safe."""
    found = path_problem(path, min_depth)
    if found is None:
        return ""
    return "%r %s. Fix: %s" % (path, found[0], found[1])


def is_safe(path, min_depth=2):
    return path_problem(path, min_depth) is None
