# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""When certificates expire: PEM and kubeconfig text in, dates and days left out.

Pure functions, no I/O, standard library only: the module ``cert_expiry`` runs them on the nodes, which
have no ``cryptography`` (the Debian and Ubuntu base systems do not ship it). A certificate is read from
its DER encoding far enough to reach the validity dates, the subject's common name and the basic
constraints (a CA or not); nothing is verified (no signature, no chain): the question is only "when".

Kubeconfigs (``admin.conf``, ``controller-manager.conf``, ``scheduler.conf``, ``super-admin.conf``,
``kubelet.conf``) hold their client certificate inline (``client-certificate-data``, base64 of PEM) or
name a file (``client-certificate``, the kubelet's rotated ``kubelet-client-current.pem``). Only
certificates are read; private keys in the same files are skipped and never returned.

Statuses, with ``warn_days`` > ``fail_days``: ``fail`` when fewer than ``fail_days`` days are left
(or the certificate has expired), ``warn`` when fewer than ``warn_days``, else ``pass``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import datetime
import re

PASS = "pass"
WARN = "warn"
FAIL = "fail"

_PEM = re.compile(r"-----BEGIN CERTIFICATE-----\s*(.*?)\s*-----END CERTIFICATE-----", re.S)
_KUBECONFIG_DATA = re.compile(r"^\s*client-certificate-data:\s*['\"]?([A-Za-z0-9+/=]+)['\"]?\s*$", re.M)
_KUBECONFIG_FILE = re.compile(r"^\s*client-certificate:\s*['\"]?([^'\"\s#]+)['\"]?\s*$", re.M)
_OID_CN = b"\x55\x04\x03"
_OID_BASIC_CONSTRAINTS = b"\x55\x1d\x13"


class CertError(ValueError):
    """Text that holds no readable certificate."""


# --- DER ------------------------------------------------------------------------------------------


def _tlv(der, pos):
    """(tag, start of content, end of content) of the DER element at ``pos``."""
    if pos + 2 > len(der):
        raise CertError("truncated DER at byte %d" % pos)
    tag = der[pos]
    length = der[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or pos + count > len(der):
            raise CertError("bad DER length at byte %d" % (pos - 1))
        length = int(binascii.hexlify(der[pos:pos + count]), 16)
        pos += count
    if pos + length > len(der):
        raise CertError("truncated DER: element at byte %d runs past the end" % pos)
    return tag, pos, pos + length


def _children(der, start, end):
    out = []
    pos = start
    while pos < end:
        tag, cstart, cend = _tlv(der, pos)
        out.append((tag, cstart, cend))
        pos = cend
    return out


def _time(der, tag, start, end):
    text = der[start:end].decode("ascii", "replace")
    try:
        if tag == 0x17:  # UTCTime YYMMDDHHMMSSZ; RFC 5280: YY >= 50 is 19YY
            when = datetime.datetime.strptime(text, "%y%m%d%H%M%SZ")
            if when.year >= 2050:
                when = when.replace(year=when.year - 100)
            return when
        if tag == 0x18:  # GeneralizedTime YYYYMMDDHHMMSSZ
            return datetime.datetime.strptime(text, "%Y%m%d%H%M%SZ")
    except ValueError:
        pass
    raise CertError("unreadable validity time %r" % text)


def _common_name(der, start, end):
    """The CN of a Name (SEQUENCE OF SET OF AttributeTypeAndValue), '' when it has none."""
    for _set_tag, sstart, send in _children(der, start, end):
        for _seq_tag, astart, aend in _children(der, sstart, send):
            parts = _children(der, astart, aend)
            if len(parts) == 2 and parts[0][0] == 0x06 and der[parts[0][1]:parts[0][2]] == _OID_CN:
                return der[parts[1][1]:parts[1][2]].decode("utf-8", "replace")
    return ""


def _is_ca(der, tbs):
    """basicConstraints cA of the extensions ([3] of the TBSCertificate)."""
    for tag, start, end in tbs:
        if tag != 0xA3:
            continue
        _t, estart, eend = _tlv(der, start)
        for _x, xstart, xend in _children(der, estart, eend):
            parts = _children(der, xstart, xend)
            if not parts or der[parts[0][1]:parts[0][2]] != _OID_BASIC_CONSTRAINTS:
                continue
            _o, vstart, vend = parts[-1]  # OCTET STRING holding BasicConstraints
            _s, bstart, bend = _tlv(der, vstart)
            inner = _children(der, bstart, bend)
            return bool(inner and inner[0][0] == 0x01 and der[inner[0][1]:inner[0][2]] != b"\x00")
    return False


def parse_der(der):
    """{not_before, not_after (naive UTC datetimes), subject (CN), issuer (CN), is_ca} of a DER certificate."""
    if not isinstance(der, (bytes, bytearray)):
        raise CertError("expected DER bytes")
    der = bytearray(der)
    tag, start, end = _tlv(der, 0)
    if tag != 0x30:
        raise CertError("not a DER certificate (no SEQUENCE)")
    cert = _children(der, start, end)
    if len(cert) != 3 or cert[0][0] != 0x30:
        raise CertError("not an X.509 certificate (expected tbsCertificate, algorithm, signature)")
    tbs = _children(der, cert[0][1], cert[0][2])
    fields = tbs[1:] if tbs and tbs[0][0] == 0xA0 else tbs  # [0] version is optional
    # serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo, ...
    if len(fields) < 6 or fields[3][0] != 0x30:
        raise CertError("not an X.509 certificate (no validity)")
    validity = _children(der, fields[3][1], fields[3][2])
    if len(validity) != 2:
        raise CertError("not an X.509 certificate (validity has %d times)" % len(validity))
    return {
        "not_before": _time(der, *validity[0]),
        "not_after": _time(der, *validity[1]),
        "issuer": _common_name(der, fields[2][1], fields[2][2]),
        "subject": _common_name(der, fields[4][1], fields[4][2]),
        "is_ca": _is_ca(der, tbs),
    }


# --- PEM and kubeconfigs -----------------------------------------------------------------------------


def pem_certificates(text):
    """Every CERTIFICATE block of PEM text, parsed (a key block beside them is skipped)."""
    if isinstance(text, bytes):
        text = text.decode("ascii", "replace")
    out = []
    for index, body in enumerate(_PEM.findall(text)):
        try:
            der = base64.b64decode("".join(body.split()).encode("ascii"), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise CertError("certificate %d: not base64 (%s)" % (index + 1, exc))
        out.append(parse_der(der))
    return out


def kubeconfig_references(text):
    """(inline PEM texts of client-certificate-data, file names of client-certificate) of a kubeconfig."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    inline = []
    for data in _KUBECONFIG_DATA.findall(text):
        try:
            inline.append(base64.b64decode(data.encode("ascii"), validate=True).decode("ascii", "replace"))
        except (binascii.Error, ValueError) as exc:
            raise CertError("client-certificate-data is not base64 (%s)" % exc)
    return inline, _KUBECONFIG_FILE.findall(text)


def looks_like_kubeconfig(text):
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return "-----BEGIN CERTIFICATE-----" not in text and bool(
        re.search(r"^(apiVersion|kind|users|clusters):", text, re.M))


# --- judgement -------------------------------------------------------------------------------------------


def days_left(not_after, now):
    """Whole days from ``now`` until ``not_after`` (rounded down; negative once expired)."""
    seconds = (not_after - now).total_seconds()
    return int(seconds // 86400)


def status_of(days, warn_days=30, fail_days=7):
    """pass / warn / fail for ``days`` left; see the module docstring."""
    warn_days, fail_days = int(warn_days), int(fail_days)
    if fail_days < 0 or warn_days < fail_days:
        raise ValueError("thresholds: warn_days (%d) must be >= fail_days (%d) >= 0" % (warn_days, fail_days))
    if days < fail_days:
        return FAIL
    if days < warn_days:
        return WARN
    return PASS


def describe(cert, now, warn_days=30, fail_days=7):
    """A parsed certificate as the module returns it: dates as ISO 8601 UTC text, days left, status."""
    left = days_left(cert["not_after"], now)
    return {
        "subject": cert["subject"],
        "issuer": cert["issuer"],
        "is_ca": cert["is_ca"],
        "not_before": cert["not_before"].strftime("%Y-%m-%dT%H:%M:%SZ"),
        "not_after": cert["not_after"].strftime("%Y-%m-%dT%H:%M:%SZ"),
        "days_left": left,
        "status": status_of(left, warn_days, fail_days),
    }


def soonest(certs):
    """The certificate (as :func:`describe` returns) that expires first, None for none."""
    return min(certs, key=lambda c: c["days_left"]) if certs else None
