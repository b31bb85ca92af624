# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Accelerator driver versions: parse and compare, per vendor. Pure functions.

NVIDIA
------
A version is dot-separated unsigned integers (``580.159.04``). Versions compare as
tuples of integers, the shorter one padded with zeros, so ``430`` == ``430.0`` <
``470.57.02`` < ``470.182.03`` < ``580.159.04`` (``04`` is the number 4).

Huawei (Ascend)
---------------
The scheme changed over the years: ``1.72.T2.100.B020`` (2020), ``20.2.0``,
``21.0.4.B030``, ``23.0.rc3``, ``23.0.rc2.3``, ``24.1.RC2``, ``25.0.rc1.1``.
Comparison is case-insensitive. The version is split on ``.``; each field is a
number, or a word followed by a number (``rc2``, ``RC2``, ``T2``, ``B020``,
``alpha1``). Each field becomes a key, a triple of integers ``(rank, n, build)``:

======================  ===============  ==========================================
field                   key              meaning
======================  ===============  ==========================================
``T<n>``                (0, n, 0)        pre-release train n (oldest at a position)
``alpha<n>``            (1, n, 0)        alpha n
``beta<n>``             (2, n, 0)        beta n
``rc<n>``               (3, n, 0)        release candidate n
``<n>``                 (4, n, 0)        release n
``B<n>``                (4, 0, n)        build n of the release before it
(missing field)         (4, 0, 0)        as if ``0``
======================  ===============  ==========================================

A version's key is the tuple of its field keys. Two versions compare as their
keys, the shorter one padded with the missing-field key ``(4, 0, 0)``, and
Python's tuple order (lexicographic, element by element) decides. Consequences:

* the first field orders the eras: 1.x < 20.x < 21.x < ... < 26.x;
* at one position T < alpha < beta < rc < release, and numbers compare as numbers
  (``22.0.2`` < ``22.0.10``; ``B020`` == ``B20``; ``rc`` alone is ``rc0``);
* numbers after an rc are patch levels of that rc: ``23.0.rc2`` < ``23.0.rc2.3``
  < ``23.0.rc3`` < ``23.0.0`` (a missing field counts as release 0, which is
  after every rc at that position);
* a build refines the release before it: ``21.0.4`` < ``21.0.4.B030`` <
  ``21.0.4.1``, and ``1.72.T2.100.B020`` < ``1.72.T2.100.B021``;
* ``23.0`` == ``23.0.0`` and ``24.1.RC2`` == ``24.1.rc2``.

So the whole chain seen in the wild is ordered: 1.72.T2.100.B020 < 20.2.0 <
21.0.4.B030 < 22.0.2 < 23.0.rc2 < 23.0.rc2.3 < 23.0.rc3 < 23.0.0 < 23.0.7 <
24.1.RC2 < 24.1.0 < 25.0.rc1.1 < 26.0.rc2. This is a total preorder on strings
and a total order on keys: any two parsable versions compare, and two versions
are equal exactly when their padded keys are equal.

Errors
------
Anything else raises :class:`DriverVersionError` naming the string and the
vendor; a check never silently passes or fails on a version it does not
understand. In particular Huawei's *inner* version (``V100R001C15SPC012B220``,
the ``Innerversion=`` line of version.info) is not a driver version.
Surrounding whitespace is ignored.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

VENDORS = ("nvidia", "huawei")

_NVIDIA = re.compile(r"^\d+(?:\.\d+)*$")
_FIELD = re.compile(r"^(?:(?P<num>\d+)|(?P<word>t|alpha|beta|rc|b)(?P<wnum>\d*))$")
_INNER = re.compile(r"^v\d+r\d+", re.I)
_RANK = {"t": 0, "alpha": 1, "beta": 2, "rc": 3}
_RELEASE = 4
_MISSING = (_RELEASE, 0, 0)


class DriverVersionError(ValueError):
    """A version string that cannot be understood."""


def _check_vendor(vendor):
    if vendor not in VENDORS:
        raise DriverVersionError("unknown vendor %r: use nvidia or huawei" % (vendor,))


def _huawei_error(raw, why):
    return DriverVersionError("'%s' is not a huawei (Ascend) driver version: %s (expected e.g. 23.0.rc3, 24.1.0 "
                              "or 1.72.T2.100.B020)" % (raw, why))


def parse_version(vendor, text):
    """The comparison key of ``text`` (a tuple), or DriverVersionError naming ``text`` and ``vendor``."""
    _check_vendor(vendor)
    if text is None or isinstance(text, bool):
        raise DriverVersionError("%s driver version %r is not a version" % (vendor, text))
    raw = str(text).strip()
    if vendor == "nvidia":
        if not _NVIDIA.match(raw):
            raise DriverVersionError("'%s' is not an nvidia driver version (expected digits and dots, "
                                     "e.g. 535.129.03)" % raw)
        return tuple(int(p) for p in raw.split("."))
    if not raw:
        raise _huawei_error(raw, "it is empty")
    if _INNER.match(raw):
        raise _huawei_error(raw, "this is Huawei's inner version (Innerversion=); use Version= or "
                                 "package_version= of driver/version.info")
    fields = raw.lower().split(".")
    if not fields[0].isdigit():
        raise _huawei_error(raw, "it must start with a number")
    key = []
    for field in fields:
        match = _FIELD.match(field)
        if not match:
            raise _huawei_error(raw, "field '%s' is none of <n>, rc<n>, alpha<n>, beta<n>, T<n>, B<n>" % field)
        if match.group("num") is not None:
            key.append((_RELEASE, int(match.group("num")), 0))
            continue
        word, digits = match.group("word"), match.group("wnum")
        if word == "b":
            if not digits:
                raise _huawei_error(raw, "build field '%s' has no number" % field)
            key.append((_RELEASE, 0, int(digits)))
        else:
            key.append((_RANK[word], int(digits or 0), 0))
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
