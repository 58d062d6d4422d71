#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Offline schema check of Kubernetes manifests.

No validator for Kubernetes schemas (kubeconform, kubeval) is packaged for
Debian, so this uses the models of the Kubernetes Python client (Debian
package python3-kubernetes), which are generated from the Kubernetes OpenAPI
schema: every document is deserialized into the model of its apiVersion and
kind (V1DaemonSet for apps/v1 DaemonSet, V1Pod for v1 Pod, ...), which checks
required fields and the enum-free types, and serialized back; a field the
schema does not know is dropped by that round trip, and a value of the wrong
type (an unquoted number as an annotation value, say) comes back changed, so
the round trip must give the document back exactly.

Usage: check-manifests.py FILE...
Prints one "PASS: kubernetes/schema-<file>" or "FAIL: ..." line per file.
"""
import os
import sys

import yaml
from kubernetes import client


def model_name(doc):
    api = doc.get("apiVersion", "")
    kind = doc.get("kind", "")
    version = api.split("/")[-1]
    return version[0].upper() + version[1:] + kind


def diff(orig, back, path="$"):
    """The first difference between the document and its round trip."""
    if isinstance(orig, dict) and isinstance(back, dict):
        for k, v in orig.items():
            if k not in back:
                return "%s.%s: not a field of the schema" % (path, k)
            d = diff(v, back[k], "%s.%s" % (path, k))
            if d:
                return d
        for k in back:
            if k not in orig:
                return "%s.%s: appeared in the round trip" % (path, k)
        return None
    if isinstance(orig, list) and isinstance(back, list):
        if len(orig) != len(back):
            return "%s: list length changed" % path
        for i, (a, b) in enumerate(zip(orig, back)):
            d = diff(a, b, "%s[%d]" % (path, i))
            if d:
                return d
        return None
    if type(orig) is not type(back) or orig != back:
        return "%s: %r is not of the schema's type (became %r)" % (path, orig, back)
    return None


def check(path):
    api = client.ApiClient()
    try:
        with open(path, encoding="utf-8") as f:
            docs = [d for d in yaml.safe_load_all(f) if d is not None]
    except (OSError, yaml.YAMLError) as e:
        return str(e).replace("\n", " ")
    if not docs:
        return "no document"
    for n, doc in enumerate(docs):
        if not isinstance(doc, dict):
            return "document %d is not a mapping" % n
        name = model_name(doc)
        if not hasattr(client, name):
            return "document %d: no schema for apiVersion %r kind %r" % (
                n, doc.get("apiVersion"), doc.get("kind"))
        try:
            obj = api._ApiClient__deserialize(doc, name)
        except (ValueError, TypeError) as e:
            return "document %d (%s): %s" % (n, name, e)
        back = api.sanitize_for_serialization(obj)
        d = diff(doc, back)
        if d:
            return "document %d (%s): %s" % (n, name, d)
    return None


def main(argv):
    failed = 0
    for path in argv[1:]:
        name = os.path.splitext(os.path.basename(path))[0]
        err = check(path)
        if err:
            print("FAIL: kubernetes/schema-%s — %s" % (name, err))
            failed += 1
        else:
            print("PASS: kubernetes/schema-%s" % name)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
