#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: sysctl_apply
short_description: A sysctl drop-in written and its values set in the running kernel, in one module call
version_added: 0.2.0
description:
  - Writes O(path) with one C(key=value) line per entry of O(params), in their order (the file is owned whole, so a
    line that is not in O(params) is removed), and sets in the running kernel the values that differ from it, in
    one module call. It replaces one M(ansible.posix.sysctl) call per parameter, each of which ran C(sysctl) to
    read the live value (docs/performance.md).
  - The running kernel's values are read from and written to C(/proc/sys), as C(sysctl -w) does; values are
    compared with their whitespace normalised (C(4096 87380) equals C(4096<tab>87380)).
  - In a container (O(container=true)) the kernel is the host's. Only network parameters of the container's own
    namespace (C(net.ipv4.*), C(net.ipv6.*), C(net.core.*)) are set, and only when C(/proc/sys/net/ipv4/ip_forward)
    is writable there; C(kernel.*), C(vm.*), C(fs.*) and every other parameter are never set in a container. The
    file is still written, and RV(left_alone) says which parameters were left to the host and why.
  - Everything is checked before anything changes. A parameter to set that the running kernel does not have (its
    kernel module is not loaded, for example C(br_netfilter) for C(net.bridge.*), or the name is wrong) fails the
    task naming the parameter and the host, and nothing is changed. In check mode it is a warning and counts as a
    change (the run itself loads the kernel modules before this task).
  - A value the kernel refuses, or changes as it takes it, fails the task naming the parameter; the values this
    call set before it are set back to what they were, and the file is not written.
  - Values are written as M(ansible.posix.sysctl) wrote them (booleans and C(yes)/C(no) as C(1)/C(0)), so a drop-in
    that module wrote is left as it is.
options:
  path:
    description: The sysctl drop-in, for example C(/etc/sysctl.d/90-aiplatform.conf). Written root:root, 0644.
    type: path
    required: true
  params:
    description:
      - The parameters, name and value, in the order they are written. A name with C(/) is a path under
        C(/proc/sys) (as sysctl.d(5) allows, for interface names with a dot).
    type: dict
    required: true
  container:
    description:
      - Whether the node is a container sharing its host's kernel; see the description for what is then set.
    type: bool
    default: false
  proc_sys:
    description:
      - Where the running kernel's parameters are read and written. Leave it unset; the unit tests point it at a
        directory of their own.
    type: path
    default: /proc/sys
extends_documentation_fragment:
  - aiplatform.cluster.attributes
  - aiplatform.cluster.attributes.check_mode_and_diff
author:
  - aiplatform.cluster contributors (@aiplatform)
"""

EXAMPLES = r"""
- name: Kernel parameters (one drop-in, live values that differ)
  aiplatform.cluster.sysctl_apply:
    path: /etc/sysctl.d/90-aiplatform.conf
    params:
      net.ipv4.ip_forward: 1
      net.bridge.bridge-nf-call-iptables: 1
      vm.swappiness: 0
    container: "{{ node_is_container }}"
  register: kernel_params
"""

RETURN = r"""
applied:
  description: The parameters set in the running kernel (or that would be, in check mode), with the value before and
    after.
  returned: always
  type: dict
  sample: {"net.ipv4.ip_forward": {"before": "0", "after": "1"}}
left_alone:
  description: The parameters written to the file but not set in the running kernel (a container), with the reason.
  returned: always
  type: dict
  sample: {"vm.swappiness": "kernel-wide: a container shares its host's kernel"}
file_changed:
  description: Whether O(path) was (or would be, in check mode) written.
  returned: always
  type: bool
"""

import os
import re
import socket
import stat
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_native
from ansible.module_utils.parsing.convert_bool import BOOLEANS_FALSE, BOOLEANS_TRUE

# What a container may set: its own network namespace's parameters (docs/node-init.md).
NETWORK = re.compile(r"^net/(ipv4|ipv6|core)/")
KERNEL_WIDE = re.compile(r"^(kernel|vm|fs)/")
# Parameters that exist only once a kernel module is loaded, and which one.
MODULE_OF = (("net/bridge/", "br_netfilter"), ("net/ipv4/vs/", "ip_vs"), ("net/netfilter/", "nf_conntrack"))
_NAME = re.compile(r"^[A-Za-z0-9_./:@-]+$")
MISSING = None


def key_path(key):
    """The parameter's path under /proc/sys: dots are separators, unless the name has a slash (sysctl.d(5))."""
    return key if "/" in key else key.replace(".", "/")


def key_problem(key):
    """What is wrong with a parameter name (None when nothing)."""
    parts = key_path(key).split("/")
    if not key or not _NAME.match(key) or key.startswith("/") or any(p in ("", ".", "..") for p in parts):
        return "%r is not a kernel parameter name" % key
    return None


def normalize_value(value):
    """The value as the file and the kernel take it, the way ansible.posix.sysctl wrote it: booleans and yes/no/true
    /false as 1/0, numbers as digits, strings stripped. None for a value that cannot be written."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        if value.lower() in BOOLEANS_TRUE:
            return "1"
        if value.lower() in BOOLEANS_FALSE:
            return "0"
        value = value.strip()
        return value if value and "\n" not in value else None
    return None


def same_value(live, wanted):
    """The kernel shows lists of numbers with tabs: compare word by word."""
    return live is not MISSING and live.split() == wanted.split()


def render(params):
    """The drop-in's content: one key=value line per parameter, in order (as ansible.posix.sysctl wrote them)."""
    return "".join("%s=%s\n" % (key, value) for key, value in params.items())


def plan(keys, container, netsys_writable):
    """Which parameters to set in the running kernel and which to leave (with the reason): (to_set, skipped)."""
    to_set, skipped = [], {}
    for key in keys:
        path = key_path(key)
        if not container:
            to_set.append(key)
        elif KERNEL_WIDE.match(path):
            skipped[key] = "kernel-wide: a container shares its host's kernel"
        elif not NETWORK.match(path):
            skipped[key] = "not a parameter of the container's own network namespace"
        elif not netsys_writable:
            skipped[key] = "/proc/sys/net is read-only in this container"
        else:
            to_set.append(key)
    return to_set, skipped


def missing_hint(key):
    path = key_path(key)
    for prefix, module in MODULE_OF:
        if path.startswith(prefix):
            return "kernel module %s is not loaded" % module
    return "its kernel module is not loaded, or the name is wrong"


def read_live(proc_sys, key):
    """The running kernel's value, MISSING when it has no such parameter."""
    try:
        with open(os.path.join(proc_sys, key_path(key)), "r") as handle:
            return handle.read().strip()
    except (IOError, OSError):
        return MISSING


def write_live(proc_sys, key, value):
    with open(os.path.join(proc_sys, key_path(key)), "w") as handle:
        handle.write(value)


def changes(params, to_set, live):
    """The parameters to set whose running value differs: {key: {before, after}} in the order of params."""
    out = {}
    for key in params:
        if key in to_set and not same_value(live.get(key), params[key]):
            out[key] = dict(before="(not in the running kernel)" if live.get(key) is MISSING else live[key],
                            after=params[key])
    return out


def read_text(path):
    try:
        with open(path, "rb") as handle:
            return to_native(handle.read(), errors="surrogate_or_replace")
    except (IOError, OSError):
        return None


def write_file(module, path, content):
    """A temporary file beside ``path``, root:root 0644, renamed over it."""
    handle, temp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=os.path.dirname(path))
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(to_bytes(content, errors="surrogate_or_strict"))
        args = module.load_file_common_arguments(dict(mode="0644", owner="root", group="root"), path=temp)
        module.set_fs_attributes_if_different(args, True)
        os.rename(temp, path)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)


def set_back(proc_sys, done):
    """Undo what this call set in the running kernel (best effort): the keys it could not set back."""
    failed = []
    for key, change in reversed(done):
        try:
            write_live(proc_sys, key, change["before"])
        except (IOError, OSError):
            failed.append(key)
    return failed


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            params=dict(type="dict", required=True),
            container=dict(type="bool", default=False),
            proc_sys=dict(type="path", default="/proc/sys"),
        ),
        supports_check_mode=True,
    )
    path = module.params["path"]
    proc_sys = module.params["proc_sys"]
    host = socket.gethostname()
    result = dict(changed=False, applied={}, left_alone={}, file_changed=False)

    problems = []
    params = {}
    for key, value in module.params["params"].items():
        problem = key_problem(key)
        wanted = normalize_value(value)
        if problem:
            problems.append(problem)
        elif wanted is None:
            problems.append("%s: %r is not a value a kernel parameter takes (one line, not empty)" % (key, value))
        else:
            params[key] = wanted
    info = None
    try:
        info = os.lstat(path)
    except OSError:
        pass
    if info is not None and not stat.S_ISREG(info.st_mode):
        problems.append("%s exists and is not a plain file (a link is refused too)" % path)
    elif not os.path.isdir(os.path.dirname(path)) and not module.check_mode:
        # in check mode the package that makes it (procps) may be among what the run would install first
        problems.append("%s: its directory does not exist" % path)
    if problems:
        module.fail_json(msg="%s: %s. Nothing was changed." % (host, "; ".join(problems)), **result)

    netsys_writable = os.access(os.path.join(proc_sys, "net", "ipv4", "ip_forward"), os.W_OK)
    to_set, result["left_alone"] = plan(params, module.params["container"], netsys_writable)
    live = dict((key, read_live(proc_sys, key)) for key in to_set)
    missing = [key for key in to_set if live[key] is MISSING]
    missing_text = "; ".join("%s (%s)" % (key, missing_hint(key)) for key in missing)
    if missing and not module.check_mode:
        module.fail_json(msg="%s: the running kernel has no parameter %s. Load the module first or fix the name "
                             "(node_init_sysctl_extra); nothing was changed." % (host, missing_text), **result)
    if missing:
        module.warn("%s: the running kernel has no parameter %s now; the run loads the kernel modules before this "
                    "task, check mode does not" % (host, missing_text))
    result["applied"] = changes(params, to_set, live)

    content = render(params)
    before = read_text(path) if info is not None else None
    result["file_changed"] = before != content
    mode_ok = info is not None and stat.S_IMODE(info.st_mode) == 0o644 and info.st_uid == 0 and info.st_gid == 0
    diffs = []
    if result["file_changed"]:
        diffs.append(dict(before_header=path, after_header=path, before=before or "", after=content))
    if result["applied"]:
        diffs.append(dict(before_header="running kernel on %s" % host, after_header="running kernel on %s" % host,
                          before="".join("%s = %s\n" % (k, c["before"]) for k, c in result["applied"].items()),
                          after="".join("%s = %s\n" % (k, c["after"]) for k, c in result["applied"].items())))
    if module._diff and diffs:
        result["diff"] = diffs

    if not module.check_mode:
        done = []
        for key, change in result["applied"].items():
            error = None
            try:
                write_live(proc_sys, key, change["after"])
                done.append((key, change))
                now = read_live(proc_sys, key)
                if not same_value(now, change["after"]):
                    error = "the kernel took %r for it" % now
            except (IOError, OSError) as exc:
                error = "the kernel refused it: %s" % to_native(exc.strerror or exc)
            if error:
                left = set_back(proc_sys, done)
                module.fail_json(
                    msg="%s: could not set %s = %s (%s). %s; %s was not written." % (
                        host, key, change["after"], error,
                        "Could not set back %s" % ", ".join(left) if left else
                        "The values this task had set are set back", path), **result)
        if result["file_changed"] or not mode_ok:
            try:
                if result["file_changed"]:
                    write_file(module, path, content)
                else:
                    args = module.load_file_common_arguments(dict(mode="0644", owner="root", group="root"), path=path)
                    module.set_fs_attributes_if_different(args, False)
            except (IOError, OSError) as exc:
                module.fail_json(msg="%s: %s: %s (the running kernel's values are set)" % (
                    host, path, to_native(exc)), **result)
    result["changed"] = bool(result["file_changed"] or result["applied"] or not mode_ok)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
