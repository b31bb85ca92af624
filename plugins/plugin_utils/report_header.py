# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""The header every report carries (preflight, verify): when, by which collection version, from which config.

Pure: the filters (control machine) supply the time, the version and the config file.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

FIELDS = ("generated", "collection_version", "config_file")


def fields(generated=None, collection_version=None, config_file=None):
    """The header's keys of a report's JSON; a value not given is None."""
    return {"generated": generated or None, "collection_version": collection_version or None,
            "config_file": config_file or None}


def text(report):
    """One sentence: ``Generated 2026-12-05T14:18:48Z by aiplatform.cluster 0.1.0 from /sites/acme/config.yaml.``

    The parts that are None are left out; "" when all are."""
    parts = []
    if report.get("generated"):
        parts.append("Generated %s" % report["generated"])
    if report.get("collection_version"):
        parts.append("%s aiplatform.cluster %s" % ("by" if parts else "By", report["collection_version"]))
    if report.get("config_file"):
        parts.append("%s the platform config %s" % ("from" if parts else "From", report["config_file"]))
    return (" ".join(parts) + ".") if parts else ""
