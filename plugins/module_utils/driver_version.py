# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Accelerator driver versions: parse and compare, per vendor. Pure functions.

NVIDIA: dot-separated integers, compared zero-padded: ``430`` == ``430.0`` <
``470.57.02`` < ``580.159.04``.

Huawei (Ascend): the scheme changed over the years (``1.72.T2.100.B020`` in 2020,
``20.2.0``, ``21.0.4.B030``, ``23.0.rc3``, ``24.1.RC2``, ``25.0.rc1.1``). A version
is a list of dot-separated fields, compared field by field, case-insensitively.
Each field becomes a key ``(rank, number, build)``:

======================  ============================  ==============================
field                   key                           meaning
======================  ============================  ==============================
``T<n>``                (0, n, 0)                     pre-release train
``alpha<n>``            (1, n, 0)
``beta<n>``             (2, n, 0)
``rc<n>``               (3, n, 0)                     release candidate n
``<n>``                 (4, n, 0)                     release
``B<n>``                (4, 0, n)                     build n (refines the release)
(missing field)         (4, 0, 0)                     as if ``0``
======================  ============================  ==============================

So at one position alpha < beta < rc < release; numbers after an rc are patch
levels of that rc (``23.0.rc2`` < ``23.0.rc2.3`` < ``23.0.rc3`` < ``23.0.0``,
because a missing field counts as release 0); the first field orders the eras
(1.x < 20.x < 26.x). This is a total order: any two parsable versions compare.

Anything else (``V100R001C15SPC012B220`` is Huawei's *inner* version, not a
driver version) raises :class:`DriverVersionError` naming the string: a check
never silently passes or fails on a version it does not understand.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

VENDORS = ("nvidia", "huawei")

_NVIDIA = re.compile(r"^\d+(\.\d+)*$")
_FIELD = re.compile(r"^(?:(?P<num>\d+)|(?P<word>t|alpha|beta|rc|b)(?P<wnum>\d*))$")
_RANK = {"t": 0, "alpha": 1, "beta": 2, "rc": 3}
_MISSING = (4, 0, 0)


class DriverVersionError(ValueError):
    """A version string that cannot be understood."""


def _check_vendor(vendor):
    if vendor not in VENDORS:
        raise DriverVersionError("unknown vendor %r: use nvidia or huawei" % (vendor,))


def parse_version(vendor, text):
    """The comparison key of ``text`` (a tuple), or DriverVersionError."""
    _check_vendor(vendor)
    if text is None or isinstance(text, bool):
        raise DriverVersionError("%s driver version %r is not a version" % (vendor, text))
    raw = str(text).strip()
    if vendor == "nvidia":
        if not _NVIDIA.match(raw):
            raise DriverVersionError("'%s' is not an NVIDIA driver version (expected digits and dots, "
                                     "e.g. 535.129.03)" % raw)
        return tuple(int(p) for p in raw.split("."))
    fields = raw.lower().split(".")
    if not raw or not fields[0].isdigit():
        raise DriverVersionError("'%s' is not an Ascend driver version (expected e.g. 23.0.rc3, 24.1.0 or "
                                 "1.72.T2.100.B020)" % raw)
    key = []
    for field in fields:
        match = _FIELD.match(field)
        if not match:
            raise DriverVersionError("'%s' is not an Ascend driver version: field '%s' is none of <n>, rc<n>, "
                                     "alpha<n>, beta<n>, T<n>, B<n>" % (raw, field))
        if match.group("num") is not None:
            key.append((4, int(match.group("num")), 0))
            continue
        word, number = match.group("word"), int(match.group("wnum") or 0)
        if word == "b":
            if not match.group("wnum"):
                raise DriverVersionError("'%s' is not an Ascend driver version: build field '%s' has no "
                                         "number" % (raw, field))
            key.append((4, 0, number))
        else:
            key.append((_RANK[word], number, 0))
    return tuple(key)


def compare_versions(a, b, vendor):
    """-1, 0 or 1 as version ``a`` is older than, equal to or newer than ``b``."""
    ka, kb = parse_version(vendor, a), parse_version(vendor, b)
    pad = 0 if vendor == "nvidia" else _MISSING
    length = max(len(ka), len(kb))
    ka = ka + (pad,) * (length - len(ka))
    kb = kb + (pad,) * (length - len(kb))
    return (ka > kb) - (ka < kb)


def driver_at_least(installed, minimum, vendor):
    """True when ``installed`` is ``minimum`` or newer."""
    return compare_versions(installed, minimum, vendor) >= 0
