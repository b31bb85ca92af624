"""Build a tiny OCI image archive locally (no registry needed), for tests.

    python3 oci_image.py OUT.tar NAME:TAG [--text TEXT]

The archive is an OCI image layout (index.json, oci-layout, blobs/sha256/...) as a tar,
which `ctr images import` and `skopeo copy oci-archive:` read. Its one layer holds
/hello.txt with TEXT, so two images with different texts have different digests.
Standard library only: it runs on any test node.
"""
import argparse
import gzip
import hashlib
import io
import json
import tarfile
import time


def _blob(data):
    return "sha256:" + hashlib.sha256(data).hexdigest(), data


def _layer(text):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        payload = text.encode()
        info = tarfile.TarInfo("hello.txt")
        info.size, info.mode, info.mtime = len(payload), 0o644, 0
        tar.addfile(info, io.BytesIO(payload))
    uncompressed = raw.getvalue()
    compressed = gzip.compress(uncompressed, mtime=0)
    return uncompressed, compressed


def build(out, ref, text, arch="amd64"):
    uncompressed, layer = _layer(text)
    layer_digest, _ = _blob(layer)
    config = json.dumps({
        "architecture": arch, "os": "linux",
        "config": {"Cmd": ["/hello.txt"]},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(uncompressed).hexdigest()]},
    }, sort_keys=True).encode()
    config_digest, _ = _blob(config)
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest,
                   "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer_digest,
                    "size": len(layer)}],
    }, sort_keys=True).encode()
    manifest_digest, _ = _blob(manifest)
    tag = ref.rsplit(":", 1)[1] if ":" in ref.rsplit("/", 1)[-1] else "latest"
    index = json.dumps({
        "schemaVersion": 2,
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": manifest_digest,
                       "size": len(manifest), "platform": {"architecture": arch, "os": "linux"},
                       "annotations": {"io.containerd.image.name": ref, "org.opencontainers.image.ref.name": tag}}],
    }, sort_keys=True).encode()
    files = {"oci-layout": json.dumps({"imageLayoutVersion": "1.0.0"}).encode(), "index.json": index}
    for digest, data in ((layer_digest, layer), (config_digest, config), (manifest_digest, manifest)):
        files["blobs/sha256/" + digest.split(":", 1)[1]] = data
    with tarfile.open(out, "w") as tar:
        for name in ("blobs", "blobs/sha256"):
            info = tarfile.TarInfo(name)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, int(time.time())
            tar.addfile(info)
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, int(time.time())
            tar.addfile(info, io.BytesIO(data))
    return manifest_digest


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("ref")
    parser.add_argument("--text", default="hello from aiplatform.cluster\n")
    parser.add_argument("--arch", default="amd64")
    args = parser.parse_args()
    print(build(args.out, args.ref, args.text, args.arch))


if __name__ == "__main__":
    main()
