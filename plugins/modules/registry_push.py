#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: registry_push
short_description: Push images from an OCI image layout into a registry (Docker Distribution API v2)
version_added: 0.1.0
description:
  - Pushes each named image of an OCI image layout on the node (the offline bundle's C(images/) directory) into a
    registry, with basic authentication and TLS verified against a CA file. Multi-architecture indexes are pushed
    with every manifest they list.
  - An image whose tag already points at the same digest in the registry is left alone, so a second run reports no
    change; layers the registry already has are not sent again. Check mode reports what would be pushed.
  - Needs only Python's standard library on the node (no skopeo, no container runtime).
author:
  - aiplatform.cluster contributors (@aiplatform)
options:
  layout:
    description: Directory of the OCI image layout (holds C(index.json) and C(blobs/)).
    type: path
    required: true
  images:
    description: Images to push.
    type: list
    elements: dict
    required: true
    suboptions:
      ref:
        description: Name of the image in the layout (its C(org.opencontainers.image.ref.name) annotation).
        type: str
        required: true
      repository:
        description: Repository in the registry (for example C(docker.io/library/busybox)).
        type: str
        required: true
      tag:
        description: Tag in the registry.
        type: str
        required: true
  registry:
    description: Registry as C(host:port).
    type: str
    required: true
  tls:
    description: Speak HTTPS.
    type: bool
    default: true
  ca_path:
    description: CA certificate that signed the registry's certificate (default the system trust store).
    type: path
  username:
    description: User for basic authentication (empty for none).
    type: str
    default: ""
  password:
    description: Password for basic authentication.
    type: str
    default: ""
  timeout:
    description: Seconds per request.
    type: int
    default: 300
extends_documentation_fragment:
  - aiplatform.cluster.attributes
  - aiplatform.cluster.attributes.check_mode_only
"""

EXAMPLES = r"""
- name: Push the bundle's images into the site registry
  aiplatform.cluster.registry_push:
    layout: /var/lib/aiplatform/offline/images
    images:
      - {ref: "registry.k8s.io/pause:3.10", repository: registry.k8s.io/pause, tag: "3.10"}
    registry: 10.0.0.5:5000
    ca_path: /etc/aiplatform/pki/ca.crt
    username: pusher
    password: "{{ registry_password }}"
"""

RETURN = r"""
pushed:
  description: Images pushed (or that check mode would push), as C(repository:tag).
  returned: success
  type: list
  elements: str
present:
  description: Images already in the registry with the same digest.
  returned: success
  type: list
  elements: str
"""

import base64
import json
import os
import ssl

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible.module_utils.six.moves.urllib.parse import urlencode
from ansible.module_utils.urls import open_url

INDEX_TYPES = ("application/vnd.oci.image.index.v1+json",
               "application/vnd.docker.distribution.manifest.list.v2+json")


class Registry(object):
    def __init__(self, module):
        p = module.params
        self.base = "%s://%s" % ("https" if p["tls"] else "http", p["registry"])
        self.timeout = p["timeout"]
        self.ca_path = p["ca_path"]
        self.auth = None
        if p["username"]:
            token = base64.b64encode(("%s:%s" % (p["username"], p["password"])).encode()).decode()
            self.auth = "Basic " + token

    def call(self, method, url, data=None, headers=None):
        if not url.startswith("http"):
            url = self.base + url
        headers = dict(headers or {})
        if self.auth:
            headers["Authorization"] = self.auth
        try:
            response = open_url(url, data=data, headers=headers, method=method, timeout=self.timeout,
                                validate_certs=True, ca_path=self.ca_path, follow_redirects="none")
            return response.status, response.headers, response.read()
        except HTTPError as exc:
            return exc.code, exc.headers, exc.read()


class Layout(object):
    def __init__(self, path):
        self.path = path
        with open(os.path.join(path, "index.json")) as handle:
            self.index = json.load(handle)

    def blob_path(self, digest):
        algo, _, hexdigest = digest.partition(":")
        return os.path.join(self.path, "blobs", algo, hexdigest)

    def read(self, digest):
        with open(self.blob_path(digest), "rb") as handle:
            return handle.read()

    def find(self, ref):
        for descriptor in self.index.get("manifests", []):
            annotations = descriptor.get("annotations", {})
            if ref in (annotations.get("org.opencontainers.image.ref.name"), annotations.get("io.containerd.image.name")):
                return descriptor
        return None


def push_blob(module, reg, layout, repository, descriptor):
    digest = descriptor["digest"]
    status, _, _ = reg.call("HEAD", "/v2/%s/blobs/%s" % (repository, digest))
    if status == 200:
        return
    status, headers, body = reg.call("POST", "/v2/%s/blobs/uploads/" % repository)
    if status != 202:
        module.fail_json(msg="registry refused an upload to %s (HTTP %d): %s" % (repository, status, body[:300]))
    location = headers.get("Location")
    if location.startswith("/"):
        location = reg.base + location
    location += ("&" if "?" in location else "?") + urlencode({"digest": digest})
    path = layout.blob_path(digest)
    with open(path, "rb") as handle:
        status, _, body = reg.call("PUT", location, data=handle, headers={
            "Content-Type": "application/octet-stream", "Content-Length": str(os.path.getsize(path))})
    if status != 201:
        module.fail_json(msg="upload of %s to %s failed (HTTP %d): %s" % (digest, repository, status, body[:300]))


def push_manifest(module, reg, layout, repository, descriptor, reference):
    data = layout.read(descriptor["digest"])
    manifest = json.loads(data)
    if descriptor["mediaType"] in INDEX_TYPES:
        for child in manifest.get("manifests", []):
            if os.path.exists(layout.blob_path(child["digest"])):
                push_manifest(module, reg, layout, repository, child, child["digest"])
    else:
        for blob in [manifest["config"]] + manifest.get("layers", []):
            push_blob(module, reg, layout, repository, blob)
    status, _, body = reg.call("PUT", "/v2/%s/manifests/%s" % (repository, reference), data=data,
                               headers={"Content-Type": descriptor["mediaType"]})
    if status != 201:
        module.fail_json(msg="the registry refused the manifest of %s:%s (HTTP %d): %s"
                         % (repository, reference, status, body[:300]))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            layout=dict(type="path", required=True),
            images=dict(type="list", elements="dict", required=True, options=dict(
                ref=dict(type="str", required=True),
                repository=dict(type="str", required=True),
                tag=dict(type="str", required=True),
            )),
            registry=dict(type="str", required=True),
            tls=dict(type="bool", default=True),
            ca_path=dict(type="path"),
            username=dict(type="str", default=""),
            password=dict(type="str", default="", no_log=True),
            timeout=dict(type="int", default=300),
        ),
        supports_check_mode=True,
    )
    try:
        layout = Layout(module.params["layout"])
    except (IOError, OSError, ValueError) as exc:
        module.fail_json(msg="%s is not a readable OCI image layout: %s" % (module.params["layout"], exc))
    missing = [i["ref"] for i in module.params["images"] if layout.find(i["ref"]) is None]
    if missing:
        module.fail_json(msg="the image layout %s lacks %s" % (module.params["layout"], ", ".join(missing)))
    reg = Registry(module)
    pushed, present = [], []
    try:
        status, headers, _ = reg.call("GET", "/v2/")
        if status == 401:
            module.fail_json(msg="registry %s refused the credentials (HTTP 401, %s)" % (
                module.params["registry"], headers.get("Www-Authenticate", "no challenge")))
        for image in module.params["images"]:
            descriptor = layout.find(image["ref"])
            name = "%s:%s" % (image["repository"], image["tag"])
            status, headers, _ = reg.call("HEAD", "/v2/%s/manifests/%s" % (image["repository"], image["tag"]),
                                          headers={"Accept": descriptor["mediaType"]})
            if status == 200 and headers.get("Docker-Content-Digest") == descriptor["digest"]:
                present.append(name)
                continue
            pushed.append(name)
            if not module.check_mode:
                push_manifest(module, reg, layout, image["repository"], descriptor, image["tag"])
    except (URLError, ssl.SSLError, OSError) as exc:
        module.fail_json(msg="registry %s: %s" % (module.params["registry"], getattr(exc, "reason", exc)),
                         pushed=pushed)
    module.exit_json(changed=bool(pushed), pushed=pushed, present=present)


if __name__ == "__main__":
    main()
