"""CHANGELOG.rst for the next release, from changelogs/fragments (antsibull-changelog).

    python scripts/changelog.py          write CHANGELOG.rst (make changelog)
    python scripts/changelog.py --check  fail when CHANGELOG.rst is not what the fragments give (make lint)

`antsibull-changelog release` is what a release runs: it records the version in
changelogs/changelog.yaml and deletes the fragments. Between releases we want the fragments kept
and the changelog of the coming version readable, so this runs `release` for galaxy.yml's version
on a copy of the collection (the files git knows) and takes only its CHANGELOG.rst, titled
"(unreleased)". The release itself is the plain command, run from the repository root.
"""
import os
import shutil
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)
TARGET = os.path.join(ROOT, "CHANGELOG.rst")


def git_files():
    out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, check=True,
                         capture_output=True).stdout.decode()
    return [f for f in out.split("\0") if f and not f.startswith(".collections/") and os.path.isfile(os.path.join(ROOT, f))]


def preview():
    with open(os.path.join(ROOT, "galaxy.yml"), encoding="utf-8") as handle:
        galaxy = yaml.safe_load(handle)
    version = str(galaxy["version"])
    with tempfile.TemporaryDirectory() as tmp:
        # ansible-doc finds the collection's plugins (the "New Plugins" sections) only under
        # ansible_collections/<namespace>/<name>.
        dest = os.path.join(tmp, "ansible_collections", galaxy["namespace"], galaxy["name"])
        for name in git_files():
            os.makedirs(os.path.dirname(os.path.join(dest, name)), exist_ok=True)
            shutil.copy2(os.path.join(ROOT, name), os.path.join(dest, name))
        # The date is recorded in changelog.yaml only, not in the text: any fixed one keeps the output stable.
        result = subprocess.run(
            [os.path.join(BIN, "antsibull-changelog"), "release", "--version", version, "--date", "2000-01-01",
             "--ansible-doc-bin", os.path.join(BIN, "ansible-doc")],
            cwd=dest, capture_output=True, text=True,
            env=dict(os.environ, ANSIBLE_COLLECTIONS_PATH=tmp, PATH=BIN + os.pathsep + os.environ.get("PATH", "")))
        if result.returncode != 0:
            sys.exit("antsibull-changelog release failed:\n" + result.stdout + result.stderr)
        with open(os.path.join(dest, "CHANGELOG.rst"), encoding="utf-8") as handle:
            text = handle.read()
    title = "v%s" % version
    unreleased = "%s (unreleased)" % title
    return text.replace("\n%s\n%s\n" % (title, "=" * len(title)),
                        "\n%s\n%s\n" % (unreleased, "=" * len(unreleased)), 1)


def main(argv):
    text = preview()
    if "--check" in argv:
        current = open(TARGET, encoding="utf-8").read() if os.path.exists(TARGET) else ""
        if current != text:
            sys.exit("CHANGELOG.rst is not what changelogs/fragments give: run make changelog")
        return
    with open(TARGET, "w", encoding="utf-8") as handle:
        handle.write(text)


if __name__ == "__main__":
    main(sys.argv[1:])
