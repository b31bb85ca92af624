# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Node side of the stage stamps (docs/stages.md): what a stage's record says, and how it differs.

A stamp is JSON: the stage, the digest of its inputs (computed on the control machine), and the
state the stage left: every file it owns (glob patterns expanded: type, mode, owner, group, sha256
of the content) and the output of read-only probe commands (service states, package versions,
live kernel parameters). Pure functions; the module does the reading and writing.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

STAMP_FORMAT = 1
# Reasons listed in a message at most; the result holds them all.
SHOWN_REASONS = 3
# How a probe or a file that did not answer in time reads (a hung tool, a dead NFS server behind a mount
# point). It is never taken as "unchanged": the stage runs (differences() below).
_TIMEOUT_PREFIX = "timeout: did not answer within "


def timed_out_probe(seconds):
    """What a probe that did not answer within ``seconds`` reads as."""
    return "%s%s s" % (_TIMEOUT_PREFIX, _seconds(seconds))


def timed_out_file(seconds):
    """What a file whose state could not be read within ``seconds`` reads as."""
    return {"type": "timeout", "seconds": seconds}


def _seconds(value):
    value = float(value)
    return "%d" % value if value == int(value) else "%g" % value


def probe_timed_out(output):
    return isinstance(output, str) and output.startswith(_TIMEOUT_PREFIX)


def stamp_text(stage, inputs, files, probes, parts=None):
    """The stamp file's content (stable: same state, same text)."""
    return json.dumps({"format": STAMP_FORMAT, "stage": stage, "inputs": inputs, "input_parts": parts or {},
                       "files": files, "probes": probes}, sort_keys=True, indent=1) + "\n"


def parse_stamp(text):
    """The stamp as a dict, or None when the text is not a stamp of this format."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("format") != STAMP_FORMAT:
        return None
    for key, kind in (("inputs", str), ("files", dict), ("probes", dict)):
        if not isinstance(data.get(key), kind):
            return None
    return data


_PART_NAMES = {
    "code": "the collection's code (roles, plugins, playbooks)",
    "versions": "the versions of ansible-core, Jinja2 or the collections in use",
    "vars": "the host's inventory variables (config, group/host vars, extra vars)",
    "hostvars": "the inventory variables of the hosts (one of them, or the list of hosts, changed)",
    "facts": "the facts it reads",
    "controller_files": "files it takes from the control machine",
}


def differences(stamp, inputs, parts, files, probes):
    """Why the node is not as the stamp says, as sentences (empty: it is).

    ``files``: {pattern: {path: state}} and ``probes``: {command: output} as read now, for the
    patterns and commands of the stamp.
    """
    if stamp is None:
        return ["no record of an earlier run of this stage"]
    out = []
    if stamp["inputs"] != inputs:
        old = stamp.get("input_parts") or {}
        changed = [_PART_NAMES.get(k, k) for k in sorted(parts) if old.get(k) != parts.get(k)]
        out.append("inputs changed: %s" % (", ".join(changed) or "the stage's inputs"))
    for pattern in sorted(stamp["files"]):
        before, now = stamp["files"][pattern], files.get(pattern, {})
        for path in sorted(set(before) | set(now)):
            if path in now and now[path].get("type") == "timeout":
                # checked first: a record written while the path hung holds the same marker
                out.append("%s did not answer within %s s (a hung mount?), so it cannot be compared"
                           % (path, _seconds(now[path].get("seconds", 0))))
            elif path not in now:
                out.append("%s is gone" % path)
            elif path not in before:
                out.append("%s is new" % path)
            elif now[path].get("type") == "absent" and before[path].get("type") != "absent":
                out.append("%s is gone" % path)
            elif before[path] != now[path]:
                out.append("%s changed (%s)" % (path, _what_changed(before[path], now[path])))
    for command in sorted(stamp["probes"]):
        if probe_timed_out(probes.get(command)):
            out.append("`%s` %s, so it cannot be compared" % (command, probes[command][len("timeout: "):]))
        elif probes.get(command) != stamp["probes"][command]:
            out.append("`%s` now says %s (was %s)" % (command, _short(probes.get(command)),
                                                       _short(stamp["probes"][command])))
    return out


def _what_changed(before, now):
    if before.get("type") != now.get("type"):
        return "%s, was %s" % (now.get("type"), before.get("type"))
    what = [k for k in ("mode", "owner", "group", "target", "sha256") if before.get(k) != now.get(k)]
    return ", ".join("content" if k == "sha256" else k for k in what) or "metadata"


def _short(output):
    if output is None:
        return "nothing"
    text = " ".join(str(output).split())
    return repr(text if len(text) <= 60 else text[:57] + "...")


def message(stage, host, reasons):
    """One line for the run's output: the stage skipped as unchanged, or why it runs."""
    if not reasons:
        return "STAGE UNCHANGED: %s on %s (inputs, files and probes as its last run left them)" % (stage, host)
    more = len(reasons) - SHOWN_REASONS
    shown = "; ".join(reasons[:SHOWN_REASONS]) + ("; and %d more" % more if more > 0 else "")
    return "stage %s runs on %s: %s" % (stage, host, shown)
