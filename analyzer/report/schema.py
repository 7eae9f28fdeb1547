"""The JSON report's public, versioned schema (``schema_version`` 1), as pydantic models.

The JSON renderer writes plain dicts for speed; these models define the contract, publish it as
JSON Schema (``docs/report.schema.json``) and validate reports in the tests. Fields may be added;
none is ever renamed or removed within a schema version.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from analyzer.report.schema_version import SCHEMA_VERSION as SCHEMA_VERSION


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Tool(_Model):
    """The program that wrote the report."""

    name: Literal["meshlens"] = Field(description="Always meshlens.")
    version: str = Field(description="meshlens version.")


class SourceRef(_Model):
    """An Istio object (and rule in it) that produced an Envoy resource."""

    ref: str = Field(description="Kind/namespace/name, or Default/<name> for Istio built-ins.")
    path: str | None = Field(description="Rule inside the object, e.g. spec.http[1].match[0].")
    file: str | None = Field(description="YAML file as given on the command line.")
    line: int | None = Field(description="1-based line of the rule in that file.")
    evidence: Literal["metadata", "name", "match", "default"] = Field(
        description="How the attribution is known, strongest first."
    )
    in_inputs: bool = Field(
        default=True, description="False when the object is known but its YAML was not given."
    )
    note: str | None = Field(default=None, description="One-line explanation, if any.")


class Resource(_Model):
    """One Envoy resource and its sources (empty when nothing explains it)."""

    id: str = Field(description="Resource id, e.g. route/http.8080/simple.baihl.io:80/1.")
    type: Literal["listener", "filter_chain", "route_config", "virtual_host", "route", "cluster"]
    sources: list[SourceRef]


class FindingSource(_Model):
    """The Istio object and rule a finding is about."""

    ref: str
    path: str | None
    file: str | None
    line: int | None


class Finding(_Model):
    """One problem found by one check."""

    code: str = Field(description="Stable check code, e.g. ML0401.", pattern=r"^ML\d{4}$")
    name: str = Field(description="Check name, e.g. route-to-missing-cluster.")
    severity: Literal["error", "warning", "info"]
    message: str
    resource: str | None = Field(description="Envoy resource id concerned, if any.")
    source: FindingSource | None = Field(description="Istio object and rule concerned, if any.")
    expected: str | None = Field(default=None, description="What the YAML says should be there.")
    found: str | None = Field(default=None, description="What the proxy holds instead.")
    symptom: str | None = Field(default=None, description="Runtime effect, e.g. 503 NC.")
    chain: list[str] | None = Field(
        default=None,
        description="Resource ids from the outermost listener down to the resource and the "
        "clusters it leads to (Gateway -> listener -> route config -> vhost -> route -> cluster).",
    )


class FindingCounts(_Model):
    """Findings per severity."""

    error: int
    warning: int
    info: int


class Summary(_Model):
    """Counts for one proxy."""

    resources: int = Field(
        description="Listeners, chains, route configs, vhosts, routes, clusters."
    )
    attributed: int = Field(description="Resources explained by at least one Istio object.")
    defaults: int = Field(description="Istio built-ins.")
    findings: FindingCounts
    inferred: int = Field(
        default=0, description="Of attributed: explained only by objects whose YAML was not given."
    )
    unattributed: int = Field(default=0, description="Resources nothing explains.")
    drift_checked: bool = Field(
        default=True, description="False when no Istio YAML was given: drift was not checked."
    )


class Proxy(_Model):
    """One proxy's report."""

    name: str = Field(description="<pod>.<namespace> from node.id, else the file name.")
    kind: Literal["gateway", "sidecar", "waypoint", "unknown"]
    namespace: str
    istio_version: str
    envoy_version: str = ""
    inputs: list[str] = Field(description="Dump paths as given.")
    resources: list[Resource]
    findings: list[Finding]
    summary: Summary


class Redaction(_Model):
    """Present when the report was redacted (``analyze --redact``)."""

    kinds: dict[str, int] = Field(
        description="Distinct values replaced per kind (ip, hostname, certificate, ...)."
    )


class Report(_Model):
    """A meshlens analysis report."""

    schema_version: Literal[1]
    tool: Tool
    proxies: list[Proxy]
    findings: list[Finding] = Field(description="Findings that belong to no proxy.")
    inputs: list[str] = Field(default_factory=list, description="Istio YAML paths as given.")
    redaction: Redaction | None = Field(
        default=None,
        description="What --redact replaced with placeholders; absent when not redacted.",
    )


def schema_text() -> str:
    """The JSON Schema of the report, as published in docs/report.schema.json."""
    import json

    schema = Report.model_json_schema()
    schema["$id"] = "https://meshlens.invalid/report.schema.json"
    schema["title"] = "meshlens report (schema_version 1)"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"
