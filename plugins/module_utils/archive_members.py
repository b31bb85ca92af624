# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Which members of a tar archive may be extracted over ``/``. Pure functions.

restore.yml extracts the tarballs of backup.yml with ``tar -xpf ... -C /`` as root. A backup directory is
a set of files on the control machine that anyone with write access to it can replace (SHA256SUMS is in
the same directory), so every member is checked before anything is extracted: only the trees backup.yml
packs (``etc/kubernetes`` without ``etc/kubernetes/tmp``; the node's artifacts directory), as plain
relative names, regular files, directories and links that stay inside those trees. Refused: absolute
names, ``..``, ``.`` and empty components, names outside the trees, symbolic links whose target leaves
them, hard links to names outside them, members under a member that is a link (extracting through a
link writes wherever it points), devices, FIFOs and any other type.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import posixpath

# Member types as tarfile names them (``TarInfo.type`` mapped by :func:`member_type`).
FILE, DIRECTORY, SYMLINK, HARDLINK = "file", "directory", "symlink", "hardlink"
ALLOWED_TYPES = (FILE, DIRECTORY, SYMLINK, HARDLINK)


def _components(name):
    return name.split("/")


def _bad_name(name):
    """Why ``name`` is not a plain relative name (None when it is). A trailing ``/`` (directories) is fine."""
    if not name:
        return "an empty name"
    if "\x00" in name:
        return "a NUL byte in the name"
    if name.startswith("/"):
        return "an absolute name"
    parts = _components(name[:-1] if name.endswith("/") else name)
    if ".." in parts:
        return "a '..' component"
    if "." in parts or "" in parts:
        return "a '.' or empty component (not a name tar writes)"
    return None


def _under(name, root):
    return name == root or name.startswith(root + "/")


def _inside(name, roots, excluded):
    return any(_under(name, r) for r in roots) and not any(_under(name, x) for x in excluded)


def _link_target(member):
    """Where a link points, as a name relative to the extraction root, or None when it leaves the root."""
    target = member["linkname"]
    if member["type"] == HARDLINK:
        # hard links name another member of the archive, relative to the root
        base = target
    elif target.startswith("/"):
        base = target.lstrip("/")  # extracted over /, an absolute target is a path from the root
    else:
        base = posixpath.join(posixpath.dirname(member["name"].rstrip("/")), target)
    normal = posixpath.normpath(base)
    if normal == ".." or normal.startswith("../") or normal.startswith("/"):
        return None
    return normal


def member_problems(members, roots, excluded=(), archive="the archive"):
    """Every reason not to extract ``members`` over ``/``, as sentences naming the member and the fix.

    ``members``: dicts ``{name, type, linkname}`` in archive order (``type`` one of ``file``, ``directory``,
    ``symlink``, ``hardlink`` or anything else, e.g. ``chardev``, ``fifo``). ``roots``: the trees the archive
    may hold, relative (``etc/kubernetes``); ``excluded``: subtrees of them it may not. Empty: safe.
    """
    roots = [r.strip("/") for r in roots if r.strip("/")]
    excluded = [x.strip("/") for x in excluded if x.strip("/")]
    where = " or ".join("/" + r for r in roots) or "nothing"
    fix = ("Nothing was extracted. Fix: use a backup written by playbooks/backup.yml (check where this one came "
           "from: it may have been tampered with)")
    problems = []
    links = []
    if not members:
        problems.append("%s is empty: backup.yml never writes an empty archive. %s." % (archive, fix))
    for member in members:
        name = str(member.get("name") or "")
        kind = member.get("type")
        label = "%s: member %r" % (archive, name)
        bad = _bad_name(name)
        if bad:
            problems.append("%s has %s. %s." % (label, bad, fix))
            continue
        name = name.rstrip("/")
        if not _inside(name, roots, excluded):
            problems.append("%s is outside %s, the only paths backup.yml packs%s. %s." % (
                label, where, (" (not under /%s)" % ", /".join(excluded)) if excluded else "", fix))
            continue
        through = next((link for link in links if _under(name, link) and name != link), None)
        if through:
            problems.append("%s lies under %r, which the archive makes a link: extracting it would write wherever "
                            "that link points. %s." % (label, through, fix))
            continue
        if kind not in ALLOWED_TYPES:
            problems.append("%s is a %s; backup.yml packs only files, directories and links. %s." % (
                label, kind or "member of unknown type", fix))
            continue
        if kind in (SYMLINK, HARDLINK):
            links.append(name)
            target = _link_target(dict(member, name=name, linkname=str(member.get("linkname") or "")))
            if target is None or not _inside(target, roots, excluded):
                problems.append("%s is a %s link to %r, which points outside %s. %s." % (
                    label, "symbolic" if kind == SYMLINK else "hard", member.get("linkname"), where, fix))
    return problems


def member_type(tarinfo):
    """The ``type`` of :func:`member_problems` for a ``tarfile.TarInfo``."""
    if tarinfo.issym():
        return SYMLINK
    if tarinfo.islnk():
        return HARDLINK
    if tarinfo.isdir():
        return DIRECTORY
    if tarinfo.isreg():
        return FILE
    if tarinfo.ischr():
        return "character device"
    if tarinfo.isblk():
        return "block device"
    if tarinfo.isfifo():
        return "FIFO"
    return "member of type %r" % tarinfo.type
