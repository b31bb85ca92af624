# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""The collection's own version and the time, for the headers of the reports (control machine only).

An installed collection has MANIFEST.json (written by ansible-galaxy collection build/install); a checkout
has galaxy.yml. Both sit at the collection's root, two directories above this file.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
UNKNOWN = "unknown"
_GALAXY_VERSION = re.compile(r"""^version:\s*["']?([^"'\s#]+)""", re.MULTILINE)


def collection_version(root=ROOT):
    """``collection_info.version`` of MANIFEST.json, else ``version`` of galaxy.yml, else ``"unknown"``."""
    try:
        with open(os.path.join(root, "MANIFEST.json")) as handle:
            version = (json.load(handle).get("collection_info") or {}).get("version")
        if version:
            return str(version)
    except (IOError, OSError, ValueError, AttributeError):
        pass
    try:
        with open(os.path.join(root, "galaxy.yml")) as handle:
            found = _GALAXY_VERSION.search(handle.read())
        if found:
            return found.group(1)
    except (IOError, OSError):
        pass
    return UNKNOWN


def utc_now(now=None):
    """The time of a report: ISO 8601 in UTC to the second, e.g. ``2026-12-05T14:18:48Z``."""
    now = now or datetime.datetime.utcnow()
    return now.strftime("%Y-%m-%dT%H:%M:%SZ")
