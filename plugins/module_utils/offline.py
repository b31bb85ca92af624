# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""The offline bundle: what it must carry, how its package repositories are made, and
whether a bundle holds what a site needs. Pure: no I/O (the modules do it).

A bundle is one tar archive:
    manifest.json           every artifact: kind, name, version, arch, target, source, sha256, path
    SHA256SUMS              sha256sum -c format, every file of the bundle but itself
    packages/<target>/      a flat, signed APT repository per OS release and architecture
                            (Packages, Packages.gz, Release, InRelease), e.g. packages/debian12-amd64/
    packages/archive-key.gpg  the key that signed the repositories
    images/                 one OCI image layout holding every image (shared layers stored once)
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

# OS name (config key nodes[].os) -> distribution, codename, archive suites, components.
RELEASES = {
    "debian11": ("debian", "bullseye", "main contrib non-free"),
    "debian12": ("debian", "bookworm", "main contrib non-free non-free-firmware"),
    "ubuntu1804": ("ubuntu", "bionic", "main restricted universe multiverse"),
    "ubuntu2004": ("ubuntu", "focal", "main restricted universe multiverse"),
    "ubuntu2204": ("ubuntu", "jammy", "main restricted universe multiverse"),
    "ubuntu2404": ("ubuntu", "noble", "main restricted universe multiverse"),
}


def target_name(os_name, arch):
    return "%s-%s" % (os_name, arch)


def fact_os_name(distribution, version):
    """The config's OS name from Ansible facts: ('Ubuntu', '22.04') -> ubuntu2204, ('Debian', '12') -> debian12."""
    distribution = (distribution or "").lower()
    if distribution == "ubuntu":
        return "ubuntu" + "".join(version.split(".")[:2])
    return distribution + (version or "").split(".")[0]


def fact_arch(machine):
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(machine, machine)


def apt_sources(os_name, arch, mirror, keyring):
    """deb lines of a release's archive (release, updates, security) for one architecture."""
    if os_name not in RELEASES:
        raise ValueError("OS '%s' cannot be bundled: the bundle carries Debian and Ubuntu releases (%s)"
                         % (os_name, ", ".join(sorted(RELEASES))))
    distro, codename, components = RELEASES[os_name]
    base = mirror.rstrip("/")
    if distro == "ubuntu" and arch != "amd64" and base.endswith("/ubuntu"):
        base += "-ports"
    security = base + "-security" if distro == "debian" else base
    opts = "[arch=%s signed-by=%s]" % (arch, keyring)
    return [
        "deb %s %s %s %s" % (opts, base, codename, components),
        "deb %s %s %s-updates %s" % (opts, base, codename, components),
        "deb %s %s %s-security %s" % (opts, security, codename, components),
    ]


def parse_control(text):
    """Stanzas of a Packages / status file as dicts (continuation lines kept)."""
    stanzas, current, key = [], {}, None
    for line in text.splitlines():
        if not line.strip():
            if current:
                stanzas.append(current)
            current, key = {}, None
        elif line[0] in " \t" and key:
            current[key] += "\n" + line
        elif ":" in line:
            key, value = line.split(":", 1)
            current[key] = value.strip()
    if current:
        stanzas.append(current)
    return stanzas


def _dep_names(field):
    names = []
    for group in (field or "").split(","):
        first = group.split("|")[0].strip()
        if first:
            names.append(re.split(r"[\s(:]", first, 1)[0])
    return names


def base_system(packages_texts):
    """A dpkg status file saying that the base system is installed.

    Every Debian or Ubuntu system has the packages of priority `required` (and the
    `Essential` ones) and what they depend on. Resolving against them downloads only
    what a node lacks, not libc6 and the rest of the base. Highest version wins.
    """
    newest = {}
    for text in packages_texts:
        for stanza in parse_control(text):
            name = stanza.get("Package")
            if name and (name not in newest or _newer(stanza.get("Version", ""), newest[name].get("Version", ""))):
                newest[name] = stanza
    provided = {}
    for name, stanza in newest.items():
        for virtual in _dep_names(stanza.get("Provides")):
            provided.setdefault(virtual, name)
    wanted = [n for n, s in newest.items() if s.get("Priority") == "required" or s.get("Essential") == "yes"]
    seen = set()
    while wanted:
        name = wanted.pop()
        name = name if name in newest else provided.get(name)
        if not name or name in seen:
            continue
        seen.add(name)
        stanza = newest[name]
        wanted.extend(_dep_names(stanza.get("Depends")) + _dep_names(stanza.get("Pre-Depends")))
    out = []
    for name in sorted(seen):
        stanza = newest[name]
        fields = [("Package", name), ("Status", "install ok installed")]
        for key in ("Priority", "Essential", "Architecture", "Multi-Arch", "Version", "Provides", "Depends",
                    "Pre-Depends", "Breaks", "Conflicts"):
            if stanza.get(key):
                fields.append((key, stanza[key]))
        out.append("\n".join("%s: %s" % kv for kv in fields))
    return "\n\n".join(out) + ("\n" if out else "")


def _newer(a, b):
    """A rough Debian version comparison, good enough to pick the newest of one archive's duplicates."""
    def key(version):
        epoch, _, rest = version.rpartition(":")
        parts = re.findall(r"\d+|[A-Za-z]+|[~]|[^\w~]", rest)
        return [int(epoch or 0)] + [(0, int(p)) if p.isdigit() else ((-1, p) if p == "~" else (1, p)) for p in parts]
    return key(a) > key(b)


_URI_LINE = re.compile(r"^'(?P<uri>[^']+)'\s+(?P<filename>\S+)\s+(?P<size>\d+)(?:\s+(?P<hash>\S+))?")


def parse_print_uris(text):
    """`apt-get install --print-uris` -> [{uri, filename, size, sha256}].

    sha256 is empty when apt printed another hash or none (it prints none for some archives).
    """
    out = []
    for line in text.splitlines():
        m = _URI_LINE.match(line.strip())
        if not m:
            continue
        algo, _, digest = (m.group("hash") or "").partition(":")
        out.append({"uri": m.group("uri"), "filename": m.group("filename"), "size": int(m.group("size")),
                    "sha256": digest.lower() if algo.upper() == "SHA256" else ""})
    return out


def deb_fields(filename):
    """name, version, arch of a pool file name (`containerd_1.6.20~ds1-1+b1_amd64.deb`, epoch as %3a)."""
    stem = filename.rsplit("/", 1)[-1]
    if stem.endswith(".deb"):
        stem = stem[:-4]
    parts = stem.split("_")
    if len(parts) != 3:
        return {"name": stem, "version": "", "arch": ""}
    return {"name": parts[0], "version": parts[1].replace("%3a", ":"), "arch": parts[2]}


def image_ref(ref):
    """Split `registry/path:tag` into (registry, repository, tag); docker.io is the default registry."""
    name, tag = ref, "latest"
    if "@" in name:
        raise ValueError("image %s: pin images by tag in the bundle list" % ref)
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        name, tag = name.rsplit(":", 1)
    first = name.split("/", 1)[0]
    if "/" in name and ("." in first or ":" in first or first == "localhost"):
        registry, repository = name.split("/", 1)
    else:
        registry, repository = "docker.io", name
    if registry == "docker.io" and "/" not in repository:
        repository = "library/" + repository
    return registry, repository, tag


def canonical_image(ref):
    registry, repository, tag = image_ref(ref)
    return "%s/%s:%s" % (registry, repository, tag)


def bundle_problems(manifest, targets, packages, images):
    """What a site needs that the bundle lacks, as messages naming each artifact.

    ``targets``: the site's ``os-arch`` names (or (os, arch) pairs); ``packages``: names every target needs;
    ``images``: image refs the site needs.
    """
    problems = []
    have = {}
    for item in manifest.get("artifacts", []):
        if item.get("kind") == "package":
            have.setdefault(item.get("target"), set()).add(item.get("name"))
    have_images = set(item.get("name") for item in manifest.get("artifacts", []) if item.get("kind") == "image")
    for target in sorted(set(t if isinstance(t, str) else target_name(*t) for t in targets)):
        if target not in have:
            problems.append("the bundle has no packages for %s (nodes run it); build it with that node in the "
                            "config" % target)
            continue
        missing = sorted(set(packages) - have[target])
        if missing:
            problems.append("the bundle's %s repository lacks %s" % (target, ", ".join(missing)))
    for ref in sorted(set(canonical_image(i) for i in images) - have_images):
        problems.append("the bundle lacks image %s" % ref)
    return problems


def sums_problems(check_output):
    """Failed lines of `sha256sum -c --quiet` (its output as text, or a list of lines) as messages naming the file."""
    problems = []
    lines = check_output if isinstance(check_output, list) else check_output.splitlines()
    for line in lines:
        line = line.strip()
        if not line or line.startswith("sha256sum:"):
            continue  # its own notes; each file's verdict follows on its own line
        if ":" in line:
            path, _, status = line.rpartition(":")
            status = status.strip()
            if status == "FAILED":
                problems.append("%s is corrupted (its sha256 differs from the bundle's SHA256SUMS)" % path)
            elif status.startswith("FAILED open or read"):
                problems.append("%s is missing from the bundle" % path)
            else:
                problems.append(line)
        else:
            problems.append(line)
    return problems


def targets(nodes):
    """(targets, nodes without os) from host vars: [{inventory_hostname, node_os, node_arch}]."""
    found, unknown = set(), []
    for node in nodes:
        if not node.get("node_os"):
            unknown.append(node.get("inventory_hostname", "?"))
        else:
            found.add(target_name(node["node_os"], node.get("node_arch") or "amd64"))
    return {"targets": sorted(found), "unknown": unknown}


def default_mirror(own_sources, distro, builder_distro):
    """The archive URL for ``distro``: the build machine's own source when it runs that distribution."""
    if builder_distro.lower() == distro:
        for line in own_sources.splitlines():
            words = [w for w in line.split() if not w.startswith("[") and not w.endswith("]") and "=" not in w]
            if len(words) >= 2 and words[0] == "deb" and "security" not in words[1] and "://" in words[1]:
                return words[1].rstrip("/")
    raise ValueError("no archive mirror for %s packages: the build machine runs %s. Fix: set mirrors.apt in the "
                     "config, or offline_apt_mirrors.%s" % (distro, builder_distro, distro))


def package_artifacts(results):
    """Manifest entries from the offline_packages results of every target (loop results)."""
    out = []
    for result in results:
        target = result.get("item")
        for pkg in result.get("packages", []):
            out.append({"kind": "package", "target": target, "name": pkg["name"], "version": pkg["version"],
                        "arch": pkg["arch"], "source": pkg["source"], "sha256": pkg["sha256"],
                        "path": "packages/%s/%s" % (target, pkg["filename"]), "size": pkg.get("size")})
    return out


def image_artifacts(index, sources=None):
    """Manifest entries from the bundle's OCI index.json."""
    out = []
    for descriptor in index.get("manifests", []):
        name = descriptor.get("annotations", {}).get("org.opencontainers.image.ref.name", "")
        platform = descriptor.get("platform", {})
        out.append({"kind": "image", "name": name, "version": name.rsplit(":", 1)[-1],
                    "arch": platform.get("architecture", "all"),
                    "source": (sources or {}).get(name, "docker://" + name),
                    "sha256": descriptor["digest"].split(":", 1)[1],
                    "path": "images/blobs/sha256/" + descriptor["digest"].split(":", 1)[1]})
    return out


def push_target(ref):
    """registry_push's entry for a bundle image: kept under its upstream's name in the site registry."""
    registry, repository, tag = image_ref(ref)
    return {"ref": ref, "repository": "%s/%s" % (registry, repository), "tag": tag}


def layout_refs(index):
    """Image names in an OCI layout's index.json."""
    return [d.get("annotations", {}).get("org.opencontainers.image.ref.name", "") for d in index.get("manifests", [])]
