# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""containerd config facts shared by the runtime roles. Pure."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import re

# Where the CRI runtimes live, per config version (containerd 1.x: 2, 2.x: 3).
_RUNTIME_SECTION = {2: 'plugins."io.containerd.grpc.v1.cri".containerd',
                    3: 'plugins."io.containerd.cri.v1.runtime".containerd'}


def config_version(version_output):
    """2 for containerd 1.x, 3 for 2.x, from ``containerd --version``; 2 when unknown (the OS packages' 1.x)."""
    match = re.search(r"\sv?(\d+)\.\d+", str(version_output or ""))
    return 3 if match and int(match.group(1)) >= 2 else 2


def override_path_ok(version_output):
    """Whether this containerd honours ``override_path`` in hosts.toml (1.6 and later).

    Unknown (not installed yet, e.g. check mode) counts as yes: the OS packages of every
    supported release with its -updates suite ship 1.6 or later.
    """
    match = re.search(r"\sv?(\d+)\.(\d+)", str(version_output or ""))
    return not match or (int(match.group(1)), int(match.group(2))) >= (1, 6)


def runtime_dropin(name, binary, version=2, default=False):
    """A conf.d file registering an OCI runtime (``nvidia``, ``ascend``) with the CRI plugin."""
    section = _RUNTIME_SECTION[int(version)]
    lines = ["# aiplatform.cluster: runtime %s (%s)" % (name, binary), "version = %d" % int(version), ""]
    if default:
        lines += ["[%s]" % section, '  default_runtime_name = "%s"' % name, ""]
    lines += ["[%s.runtimes.%s]" % (section, name), '  runtime_type = "io.containerd.runc.v2"', "",
              "[%s.runtimes.%s.options]" % (section, name), '  BinaryName = "%s"' % binary, "  SystemdCgroup = true"]
    return "\n".join(lines) + "\n"


# Escapes of a TOML basic string (TOML 1.0, "String"): the two that need a backslash, the short
# forms TOML knows, every other control character (U+0000-U+001F, U+007F) as \uXXXX.
_TOML_SHORT = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def toml_string(value):
    """``value`` as a TOML basic string, quotes included: safe for any text (a password holding
    ``"``, ``\\`` or ``$``, a non-ASCII letter). ``$`` needs no escape in TOML."""
    out = []
    for char in "%s" % (value,):
        if char in _TOML_SHORT:
            out.append(_TOML_SHORT[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append("\\u%04X" % ord(char))
        else:
            out.append(char)
    return '"%s"' % "".join(out)


def docker_logins(auths):
    """Docker's config.json (``{"auths": {host: {"auth": base64("user:password")}}}``) from
    ``[{host, username, password}]``: what kubelet reads for CRI pulls and docker for its own.
    base64 carries any character."""
    logins = {}
    for auth in auths:
        pair = u"%s:%s" % (auth["username"], auth["password"])
        logins[u"%s" % auth["host"]] = {"auth": base64.b64encode(pair.encode("utf-8")).decode("ascii")}
    return {"auths": logins}
