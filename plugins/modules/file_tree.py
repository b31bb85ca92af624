#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: file_tree
short_description: Several small files and directories under one directory, in one module call
version_added: 0.2.0
description:
  - Makes sure each entry (a directory, a file with the given content, or no file) under O(path) is as listed, with
    its owner, group and mode, like a list of M(ansible.builtin.file) and M(ansible.builtin.copy) tasks with
    C(content) would, but in one module call. A stage that writes ten small files no longer pays ten round
    trips to the node (docs/performance.md).
  - Entries are handled in their order; a file's directory must be O(path), an entry listed before it, or exist.
  - Every entry is checked before anything changes. A name that is absolute or holds C(..), an existing link on the
    way to an entry or at it, and a file where a directory is listed (or the reverse) are refused, and nothing is
    changed.
  - Files are replaced atomically (a temporary file in the same directory, then renamed over the old one).
  - Content is compared byte for byte, so a file left as it should be is not rewritten.
options:
  path:
    description:
      - The directory the entries' names are relative to.
      - Without O(mode) it must exist and is left as it is; with O(mode) it is created when missing and its owner,
        group and mode are kept as given.
    type: path
    required: true
  owner:
    description: Owner of O(path) (only with O(mode)).
    type: str
    default: root
  group:
    description: Group of O(path) (only with O(mode)).
    type: str
    default: root
  mode:
    description: Mode of O(path), e.g. C("0755"); when unset O(path) must exist and is not touched.
    type: str
  entries:
    description: What must be under O(path).
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The entry's path relative to O(path), e.g. C(docker.io/hosts.toml).
        type: str
        required: true
      state:
        description: C(file) (with O(entries[].content)), C(directory), or C(absent) (a file or link that must not exist).
        type: str
        choices: [file, directory, absent]
        default: file
      content:
        description: The file's content (C(state=file)).
        type: str
      mode:
        description: The entry's mode, e.g. C("0644") (C(state=file) and C(state=directory)).
        type: str
      owner:
        description: The entry's owner.
        type: str
        default: root
      group:
        description: The entry's group.
        type: str
        default: root
extends_documentation_fragment:
  - aiplatform.cluster.attributes
  - aiplatform.cluster.attributes.check_mode_and_diff
author:
  - aiplatform.cluster contributors (@aiplatform)
"""

EXAMPLES = r"""
- name: A hosts.toml per registry, each in its directory
  aiplatform.cluster.file_tree:
    path: /etc/containerd/certs.d
    mode: "0755"
    entries:
      - {name: docker.io, state: directory, mode: "0755"}
      - name: docker.io/hosts.toml
        mode: "0644"
        content: |
          server = "https://registry-1.docker.io"

- name: Units of a service, and a unit that must be gone
  aiplatform.cluster.file_tree:
    path: /etc/systemd/system
    entries:
      - {name: example.service, mode: "0644", content: "{{ lookup('template', 'example.service.j2') }}"}
      - {name: example-old.service, state: absent}
"""

RETURN = r"""
changed_entries:
  description: The names of the entries this task changed (or would change, in check mode), in their order.
  returned: always
  type: list
  elements: str
"""

import os
import stat
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_native


def entry_problems(entries):
    """What is wrong with the entries as given (no look at the node): a list of messages."""
    problems = []
    for index, entry in enumerate(entries):
        name = entry.get("name") or ""
        label = "entry %d (%s)" % (index + 1, name or "no name")
        parts = name.split("/")
        if not name or name.startswith("/") or ".." in parts or "" in parts or "." in parts:
            problems.append("%s: the name must be a relative path without '..', '.' or empty parts" % label)
        state = entry.get("state") or "file"
        if state == "file" and entry.get("content") is None:
            problems.append("%s: a file needs its content" % label)
        if state in ("file", "directory") and not entry.get("mode"):
            problems.append("%s: a %s needs its mode" % (label, state))
    return problems


def node_problems(base, entries, lstat=os.lstat):
    """What on the node stops the entries being applied (links on the way, wrong types): a list of messages."""
    problems = []
    directories = set()
    for entry in entries:
        name = entry["name"]
        state = entry.get("state") or "file"
        parts = name.split("/")
        for depth in range(1, len(parts) + 1):
            sub = "/".join(parts[:depth])
            path = os.path.join(base, sub)
            try:
                info = lstat(path)
            except OSError:
                info = None
            last = depth == len(parts)
            if info is not None and stat.S_ISLNK(info.st_mode):
                problems.append("%s is a link; refusing to write through it" % path)
                break
            if last:
                if info is not None and state == "directory" and not stat.S_ISDIR(info.st_mode):
                    problems.append("%s exists and is not a directory" % path)
                if info is not None and state in ("file", "absent") and stat.S_ISDIR(info.st_mode):
                    problems.append("%s is a directory, listed as a %s" % (path, "file" if state == "file" else
                                                                              "file to remove"))
            elif info is None and sub not in directories and state != "absent":
                problems.append("%s: its directory %s neither exists nor is listed before it" % (path, sub))
                break
            elif info is not None and not stat.S_ISDIR(info.st_mode):
                problems.append("%s: %s is not a directory" % (path, sub))
                break
        if state == "directory":
            directories.add(name)
    return problems


def fs_args(module, path, mode, owner, group):
    """The arguments set_fs_attributes_if_different takes (SELinux context: the path's default)."""
    return module.load_file_common_arguments(dict(mode=mode, owner=owner, group=group), path=path)


def read_bytes(path):
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except (IOError, OSError):
        return None


def write_atomically(module, path, data, args):
    """A temporary file in the same directory, given its owner, group and mode first, then renamed over ``path``:
    the file never shows other content, nor this content with other permissions (a key written 0600 is never
    readable by others, not even for a moment)."""
    directory = os.path.dirname(path)
    handle, temp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=directory)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        module.set_fs_attributes_if_different(dict(args, path=temp), True)
        os.rename(temp, path)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)


def apply_entry(module, base, entry, diffs):
    """Make one entry as listed; True when it changed (or would, in check mode)."""
    name = entry["name"]
    state = entry.get("state") or "file"
    path = os.path.join(base, name)
    exists = os.path.lexists(path)
    if state == "absent":
        if not exists:
            return False
        diffs.append(dict(before_header=path, after_header=path, before="file\n", after="absent\n"))
        if not module.check_mode:
            os.unlink(path)
        return True
    args = fs_args(module, path, entry["mode"], entry.get("owner") or "root", entry.get("group") or "root")
    if state == "directory":
        if not exists:
            diffs.append(dict(before_header=path, after_header=path, before="absent\n", after="directory\n"))
            if module.check_mode:
                return True
            os.mkdir(path, 0o700)
        return module.set_fs_attributes_if_different(args, not exists)
    data = to_bytes(entry["content"], errors="surrogate_or_strict")
    before = read_bytes(path) if exists else None
    changed = before != data
    if changed:
        diffs.append(dict(before_header=path, after_header=path,
                          before="" if before is None else to_native(before, errors="surrogate_or_replace"),
                          after=entry["content"]))
        if module.check_mode:
            return True
        write_atomically(module, path, data, args)
    return module.set_fs_attributes_if_different(args, changed)


def shown(module, diffs):
    """The diff, only when the run asked for one (--diff)."""
    return dict(diff=diffs) if module._diff and diffs else {}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            owner=dict(type="str", default="root"),
            group=dict(type="str", default="root"),
            mode=dict(type="str"),
            entries=dict(type="list", elements="dict", required=True, options=dict(
                name=dict(type="str", required=True),
                state=dict(type="str", choices=["file", "directory", "absent"], default="file"),
                content=dict(type="str"),
                mode=dict(type="str"),
                owner=dict(type="str", default="root"),
                group=dict(type="str", default="root"),
            )),
        ),
        supports_check_mode=True,
    )
    base = module.params["path"].rstrip("/") or "/"
    entries = module.params["entries"]
    diffs = []
    changed_entries = []
    problems = entry_problems(entries)
    base_info = None
    try:
        base_info = os.lstat(base)
    except OSError:
        pass
    if base_info is not None and not stat.S_ISDIR(base_info.st_mode):
        problems.append("%s exists and is not a directory (a link is refused too)" % base)
    elif base_info is None and not module.params["mode"]:
        problems.append("%s does not exist (give mode to have it created)" % base)
    if not problems and base_info is not None:
        problems.extend(node_problems(base, entries))
    if problems:
        module.fail_json(msg="%s. Nothing was changed." % "; ".join(problems), changed_entries=[])
    changed = False
    if module.params["mode"]:
        if base_info is None:
            diffs.append(dict(before_header=base, after_header=base, before="absent\n", after="directory\n"))
            changed = True
            if not module.check_mode:
                os.makedirs(base, 0o700)
        if not module.check_mode or base_info is not None:
            args = fs_args(module, base, module.params["mode"], module.params["owner"], module.params["group"])
            changed = module.set_fs_attributes_if_different(args, changed) or changed
        if module.check_mode and base_info is None:
            # Nothing under a directory that does not exist yet can be read: every entry but the absent ones is new.
            for entry in entries:
                if (entry.get("state") or "file") != "absent":
                    changed_entries.append(entry["name"])
                    diffs.append(dict(before_header=os.path.join(base, entry["name"]),
                                      after_header=os.path.join(base, entry["name"]), before="",
                                      after=entry.get("content") if entry.get("content") is not None else "directory\n"))
            module.exit_json(changed=True, changed_entries=changed_entries, **shown(module, diffs))
    for entry in entries:
        try:
            if apply_entry(module, base, entry, diffs):
                changed_entries.append(entry["name"])
        except (IOError, OSError) as exc:
            module.fail_json(msg="%s: %s" % (os.path.join(base, entry["name"]), to_native(exc)),
                             changed_entries=changed_entries, changed=True if changed_entries or changed else False)
    module.exit_json(changed=changed or bool(changed_entries), changed_entries=changed_entries, **shown(module, diffs))


if __name__ == "__main__":
    main()
