#!/usr/bin/env bash
# Validates the OpenAPI document the server serves, and checks it against the code and the docs:
#   - openapi-spec-validator (OpenAPI 3.1 + JSON Schema), zero errors;
#   - every operation has a unique operationId, and every error response's body is the Error schema
#     (except /readyz's 503, which is its readiness body: probes read why a replica is not ready);
#   - the Error schema's code enum equals TapsterCore's ErrorCode raw values;
#   - every `METHOD /path` in docs/api.md is in the document, and nothing else is;
#   - no response schema carries a readable password.
# Uses the `python3` on PATH and pip-installs the validator (quietly) when it is missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

spec=${1:-Sources/TapsterServer/Resources/openapi.yaml}
python=${PYTHON:-python3}

if ! "$python" -c 'import openapi_spec_validator, yaml' >/dev/null 2>&1; then
    "$python" -m pip install --quiet --disable-pip-version-check openapi-spec-validator pyyaml >/dev/null
fi

"$python" - "$spec" docs/api.md Sources/TapsterCore/Errors/TapsterError.swift <<'PY'
import re
import sys

import yaml
from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename

spec_path, api_doc_path, errors_swift_path = sys.argv[1:4]
problems = []

spec_dict, base_uri = read_from_filename(spec_path)
try:
    validate(spec_dict, base_uri=base_uri)
except Exception as error:  # the validator's own error, with the path to the fault
    problems.append(f"openapi-spec-validator: {error}")

with open(spec_path) as f:
    spec = yaml.safe_load(f)

def resolve(node):
    while isinstance(node, dict) and "$ref" in node:
        parts = node["$ref"].lstrip("#/").split("/")
        node = spec
        for part in parts:
            node = node[part]
    return node

methods = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
operations = {}
seen_ids = {}
for path, item in spec.get("paths", {}).items():
    for method in methods:
        if method not in item:
            continue
        op = item[method]
        where = f"{method.upper()} {path}"
        operations[where] = op
        op_id = op.get("operationId")
        if not op_id:
            problems.append(f"{where}: no operationId")
        elif op_id in seen_ids:
            problems.append(f"{where}: operationId {op_id} also used by {seen_ids[op_id]}")
        else:
            seen_ids[op_id] = where
        responses = op.get("responses", {})
        if not any(str(code).startswith("2") for code in responses):
            problems.append(f"{where}: no success response")
        for code, response in responses.items():
            if str(code).startswith(("2", "3")) or (op_id == "readiness" and str(code) == "503"):
                continue
            raw = response
            response = resolve(response)
            schema = response.get("content", {}).get("application/json", {}).get("schema", {})
            if schema.get("$ref") != "#/components/schemas/Error":
                problems.append(f"{where}: response {code} does not use the Error schema")
        if "default" not in responses:
            problems.append(f"{where}: no default (error) response")

# The Error code enum must be exactly TapsterCore's ErrorCode raw values.
with open(errors_swift_path) as f:
    swift = f.read()
enum_body = re.search(r"enum ErrorCode[^{]*\{(.*?)\n\}", swift, re.S)
swift_codes = re.findall(r'case\s+`?\w+`?\s*=\s*"([a-z_]+)"', enum_body.group(1) if enum_body else "")
yaml_codes = resolve(spec["components"]["schemas"]["Error"]["properties"]["code"]).get("enum", [])
if not swift_codes:
    problems.append(f"{errors_swift_path}: found no ErrorCode raw values")
elif sorted(swift_codes) != sorted(yaml_codes):
    problems.append(f"Error.code enum {sorted(yaml_codes)} differs from ErrorCode {sorted(swift_codes)}")

# Every endpoint docs/api.md lists is described, and nothing more.
with open(api_doc_path) as f:
    doc = f.read()
documented = set()
for verbs, path in re.findall(r"`((?:GET|POST|PUT|PATCH|DELETE)(?:/(?:GET|POST|PUT|PATCH|DELETE))*) (/[^`\s]*)`", doc):
    path = path.split("?")[0]
    if "*" in path:  # `GET /api/v1/openapi.*` in the prose
        continue
    full = path if path in ("/healthz", "/readyz", "/metrics") or path.startswith("/api/v1/") else "/api/v1" + path
    for verb in verbs.split("/"):
        documented.add(f"{verb} {full}")
described = set(operations)
for missing in sorted(documented - described):
    problems.append(f"docs/api.md lists {missing}, the document does not describe it")
for extra in sorted(described - documented):
    problems.append(f"the document describes {extra}, docs/api.md does not list it")

# No response may carry a password that can be read.
def walk(node, trail, seen):
    node_id = id(node)
    if node_id in seen:
        return
    seen = seen | {node_id}
    if isinstance(node, dict):
        if "$ref" in node:
            walk(resolve(node), trail + [node["$ref"].split("/")[-1]], seen)
        for key, value in node.get("properties", {}).items() if isinstance(node.get("properties"), dict) else []:
            if re.fullmatch(r"((current|new|old)_)?password(_hash)?", key) and not resolve(value).get("writeOnly"):
                problems.append(f"response schema {'/'.join(trail)} has a readable '{key}'")
            walk(value, trail + [key], seen)
        for key in ("items", "allOf", "anyOf", "oneOf", "additionalProperties"):
            if key in node:
                values = node[key] if isinstance(node[key], list) else [node[key]]
                for value in values:
                    walk(value, trail, seen)

for where, op in operations.items():
    for code, response in op.get("responses", {}).items():
        for media in resolve(response).get("content", {}).values():
            walk(media.get("schema", {}), [where, str(code)], set())

if problems:
    for problem in problems:
        print(f"check-openapi: {problem}", file=sys.stderr)
    sys.exit(1)
print(f"check-openapi: {spec_path} is valid OpenAPI {spec['openapi']}: {len(operations)} operations, "
      f"{len(spec['components']['schemas'])} schemas, matches docs/api.md and ErrorCode")
PY
