#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: offline_packages
short_description: Download packages with their dependencies for one OS release and architecture into a signed APT repository
version_added: 0.1.0
description:
  - Runs on the machine that builds the offline bundle (Debian or Ubuntu with C(apt-get), C(apt-ftparchive) from
    apt-utils, C(gpg)). For one target (OS release and architecture, which need not be the machine's own) it
    resolves the packages and their dependencies against the release's archive, as a node of that release with
    only its base system would, and downloads them into I(dest). APT verifies every download against the archive's
    signed index (I(keyring)).
  - The base system (priority C(required), C(Essential) packages and their dependencies) is assumed present on
    every node, so it is not downloaded.
  - Makes I(dest) a flat APT repository (C(Packages), C(Packages.gz), C(Release), C(InRelease) signed with the
    bundle key in I(gnupg_home)). Files of C(file:) sources (a mirror on a local disk) are copied in. Files no
    longer needed are removed; the index is rewritten only when the set of
    packages changed, so a second run reports no change.
author:
  - aiplatform.cluster contributors (@aiplatform)
options:
  dest:
    description: Repository directory for this target.
    type: path
    required: true
  work_dir:
    description: APT state for this target (lists, status); kept between runs.
    type: path
    required: true
  arch:
    description: Debian architecture of the target (C(amd64), C(arm64)).
    type: str
    required: true
  sources:
    description: C(deb) lines of the target's archive (with C([arch=... signed-by=...])).
    type: list
    elements: str
    required: true
  packages:
    description: Packages to carry (their dependencies come with them).
    type: list
    elements: str
    required: true
  gnupg_home:
    description: GnuPG home holding the bundle's signing key.
    type: path
    required: true
  signing_key:
    description: Key id or fingerprint that signs the repository.
    type: str
    required: true
extends_documentation_fragment:
  - aiplatform.cluster.attributes
  - aiplatform.cluster.attributes.no_check_mode
"""

EXAMPLES = r"""
- name: Packages for Debian 12 on amd64
  aiplatform.cluster.offline_packages:
    dest: /srv/bundle/packages/debian12-amd64
    work_dir: /srv/bundle-work/debian12-amd64
    arch: amd64
    sources: "{{ 'debian12' | aiplatform.cluster.offline_apt_sources('amd64', mirror, keyring) }}"
    packages: [containerd, chrony]
    gnupg_home: /srv/bundle-work/gnupg
    signing_key: "{{ key_fingerprint }}"
"""

RETURN = r"""
packages:
  description: Every file of the repository's pool.
  returned: success
  type: list
  elements: dict
  contains:
    name: {description: Package name., type: str}
    version: {description: Version., type: str}
    arch: {description: Architecture (C(all) for architecture-independent packages)., type: str}
    filename: {description: File name in I(dest)., type: str}
    sha256: {description: "sha256 of the file (from the archive's signed index, checked by APT).", type: str}
    size: {description: Size in bytes., type: int}
    source: {description: URL it was downloaded from., type: str}
"""

import glob
import os
import shutil

from ansible.module_utils.six.moves.urllib.parse import unquote

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.aiplatform.cluster.plugins.module_utils.offline import (
    base_system,
    deb_fields,
    parse_print_uris,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            dest=dict(type="path", required=True),
            work_dir=dict(type="path", required=True),
            arch=dict(type="str", required=True),
            sources=dict(type="list", elements="str", required=True),
            packages=dict(type="list", elements="str", required=True),
            gnupg_home=dict(type="path", required=True),
            signing_key=dict(type="str", required=True, no_log=False),  # a key id or fingerprint, not a secret
        ),
        supports_check_mode=False,
    )
    p = module.params
    work, dest = p["work_dir"], p["dest"]
    for path in (dest, os.path.join(work, "lists", "partial"), os.path.join(work, "cache"),
                 os.path.join(work, "empty", "partial"), os.path.join(work, "prefs.d")):
        os.makedirs(path, exist_ok=True)
    sources_file = os.path.join(work, "sources.list")
    with open(sources_file, "w") as handle:
        handle.write("\n".join(p["sources"]) + "\n")
    status = os.path.join(work, "status")
    if not os.path.exists(status):
        open(status, "w").close()
    opts = [
        "-o", "Dir::Etc::SourceList=" + sources_file,
        "-o", "Dir::Etc::SourceParts=" + os.path.join(work, "prefs.d"),
        "-o", "Dir::Etc::Preferences=/dev/null",
        "-o", "Dir::Etc::PreferencesParts=" + os.path.join(work, "prefs.d"),
        "-o", "Dir::State::Lists=" + os.path.join(work, "lists"),
        "-o", "Dir::State::status=" + status,
        "-o", "Dir::Cache=" + os.path.join(work, "cache"),
        "-o", "APT::Architecture=" + p["arch"],
        "-o", "APT::Architectures::=" + p["arch"],
        "-o", "APT::Install-Recommends=false",
        "-o", "APT::Get::AllowUnauthenticated=false",
        "-o", "Debug::NoLocking=true",
        "-o", "Acquire::Languages=none",
        # The APT state lives in the site's work directory, which APT's sandbox user may not reach.
        "-o", "APT::Sandbox::User=root",
    ]
    env = {"LC_ALL": "C", "DEBIAN_FRONTEND": "noninteractive"}

    def run(args, what, cwd=None):
        rc, out, err = module.run_command(args, environ_update=env, cwd=cwd)
        if rc != 0:
            module.fail_json(msg="%s failed (rc %d): %s" % (what, rc, (err or out).strip()[-2000:]))
        return out

    run(["apt-get", "-q"] + opts + ["update"], "apt-get update of the %s archive" % p["arch"])
    indexes = []
    for path in sorted(glob.glob(os.path.join(work, "lists", "*_Packages*"))):
        # APT may keep its lists compressed (lz4, gz...): apt-helper reads any of them.
        indexes.append(run(["/usr/lib/apt/apt-helper", "cat-file", path], "reading " + path))
    if not indexes:
        module.fail_json(msg="no package index came from %s" % "; ".join(p["sources"]))
    with open(status, "w") as handle:
        handle.write(base_system(indexes))

    # What a bare node of this release needs: listed against an empty download directory
    # so that files already in dest still count.
    wanted = parse_print_uris(run(
        ["apt-get", "-q", "-y"] + opts + ["-o", "Dir::Cache::archives=" + os.path.join(work, "empty"),
                                          "install", "--print-uris"] + p["packages"],
        "resolving %s" % ", ".join(p["packages"])))
    before = set(os.path.basename(f) for f in glob.glob(os.path.join(dest, "*.deb")))
    run(["apt-get", "-q", "-y"] + opts + ["-o", "Dir::Cache::archives=" + dest, "install", "--download-only"]
        + p["packages"], "downloading %s" % ", ".join(p["packages"]))
    for leftover in ("lock", "partial"):
        path = os.path.join(dest, leftover)
        if os.path.isdir(path):
            os.rmdir(path) if not os.listdir(path) else None
        elif os.path.exists(path):
            os.remove(path)
    for item in wanted:
        # APT uses files of file: sources (a mirror on a local disk) in place: copy them in.
        target = os.path.join(dest, item["filename"])
        if item["uri"].startswith("file:") and not os.path.exists(target):
            shutil.copyfile(os.path.normpath(unquote(item["uri"][len("file:"):])), target)
    names = set(item["filename"] for item in wanted)
    missing = sorted(n for n in names if not os.path.exists(os.path.join(dest, n)))
    if missing:
        module.fail_json(msg="apt-get did not download %s" % ", ".join(missing))
    for stale in sorted(before - names):
        os.remove(os.path.join(dest, stale))
    changed = before != names or not os.path.exists(os.path.join(dest, "InRelease"))
    if changed:
        packages_text = run(["apt-ftparchive", "packages", "."], "apt-ftparchive packages", cwd=dest) if names else ""
        _write(os.path.join(dest, "Packages"), packages_text)
        run(["gzip", "-9nkf", os.path.join(dest, "Packages")], "gzip Packages")
        for path in ("Release", "InRelease", "Release.gpg"):  # never hash an old Release into the new one
            if os.path.exists(os.path.join(dest, path)):
                os.remove(os.path.join(dest, path))
        release = run(["apt-ftparchive", "-o", "APT::FTPArchive::Release::Origin=aiplatform.cluster",
                       "-o", "APT::FTPArchive::Release::Label=offline bundle", "release", "."], "apt-ftparchive release",
                      cwd=dest)
        _write(os.path.join(dest, "Release"), release)
        gpg = ["gpg", "--homedir", p["gnupg_home"], "--batch", "--yes", "--local-user", p["signing_key"]]
        run(gpg + ["--clearsign", "-o", os.path.join(dest, "InRelease"), os.path.join(dest, "Release")], "signing")
        run(gpg + ["--detach-sign", "-o", os.path.join(dest, "Release.gpg"), os.path.join(dest, "Release")],
            "signing")
    packages = []
    for item in sorted(wanted, key=lambda i: i["filename"]):
        # APT checked each file against the archive's signed index; the manifest records the
        # sha256 of what is in the bundle.
        sha256 = module.sha256(os.path.join(dest, item["filename"]))
        if item["sha256"] and item["sha256"] != sha256:
            module.fail_json(msg="%s: sha256 %s differs from the archive's %s" % (item["filename"], sha256,
                                                                                   item["sha256"]))
        entry = deb_fields(item["filename"])
        entry.update(filename=item["filename"], sha256=sha256, size=item["size"], source=item["uri"])
        packages.append(entry)
    module.exit_json(changed=changed, packages=packages)


def _write(path, text):
    with open(path, "w") as handle:
        handle.write(text)


if __name__ == "__main__":
    main()
