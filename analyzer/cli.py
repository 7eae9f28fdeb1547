"""The ``meshlens`` command line.

Heavy modules are imported inside the commands so that ``meshlens --help`` stays fast.
"""

from __future__ import annotations

import os

import click

from analyzer import __version__, build_kind
from analyzer.cli_support import (
    exit_now,
    find_object,
    guarded,
    load_config,
    pair_formats,
    progress_printer,
    split_explain_args,
    write_file,
    write_stdout,
    yaml_options,
)

RESOURCE_TYPES = ("listener", "route", "cluster", "endpoint", "secret")


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--version",
    is_flag=True,
    is_eager=True,
    expose_value=False,
    callback=lambda ctx, _param, value: _print_version(ctx) if value else None,
    help="Show the version (and whether the compiled build runs) and exit.",
)
def main() -> None:
    """Explain what Istio did to Envoy, offline.

    meshlens reads a proxy's config capture (Envoy admin /config_dump, or istioctl proxy-config
    output in JSON or YAML, optionally gzipped) and the Istio YAML meant to produce it.
    """


def _print_version(ctx: click.Context) -> None:
    click.echo(f"meshlens, version {__version__} ({build_kind()})")
    ctx.exit()


@main.command()
@click.argument("dumps", nargs=-1, required=True, metavar="DUMP...")
@click.option(
    "-r",
    "--resource",
    "resources",
    multiple=True,
    type=click.Choice([*RESOURCE_TYPES, "all"]),
    help="Tables to show (repeatable). Default: all.",
)
@click.option("--type", "listener_type", help="Listener type filter: HTTP, TCP, HTTP+TCP, ...")
@click.option("--port", type=int, help="Port filter (listeners, clusters, endpoints).")
@click.option("--fqdn", help="Cluster service FQDN filter.")
@click.option("--subset", help="Cluster subset filter.")
@click.option("--direction", help="Cluster direction filter (inbound, outbound).")
@click.option("--name", help="Route config name filter.")
@click.option("--address", help="Listener or endpoint address filter.")
@click.option(
    "-o",
    "--output",
    type=click.Choice(["table", "json", "yaml"]),
    default="table",
    show_default=True,
)
@guarded
def inventory(
    dumps: tuple[str, ...],
    resources: tuple[str, ...],
    listener_type: str | None,
    port: int | None,
    fqdn: str | None,
    subset: str | None,
    direction: str | None,
    name: str | None,
    address: str | None,
    output: str,
) -> None:
    """List listeners, routes, clusters, endpoints and secrets like istioctl proxy-config.

    Several captures of one proxy (e.g. `pc listener` and `pc cluster` output) merge into one.
    """
    from analyzer.load.envoy import load_proxies
    from analyzer.report.inventory import InventoryFilter, render_inventory

    chosen = RESOURCE_TYPES if not resources or "all" in resources else resources
    ordered = tuple(r for r in RESOURCE_TYPES if r in chosen)
    proxies = load_proxies(dumps)
    flt = InventoryFilter(
        port=port,
        fqdn=fqdn,
        subset=subset,
        direction=direction,
        type=listener_type,
        name=name,
        address=address,
    )
    for proxy in proxies:
        for skipped in proxy.skipped:
            click.echo(
                f"meshlens: note: {skipped.file}: skipped {skipped.what}: {skipped.reason}",
                err=True,
            )
    text = render_inventory(proxies, ordered, flt, output)
    write_stdout(text)
    exit_now(0)


@main.command()
@click.argument("args", nargs=-1, required=True, metavar="DUMP... [RESOURCE_ID]")
@yaml_options
@click.option("--istio", "istio_ref", metavar="KIND/NS/NAME", help="Explain one Istio object.")
@click.option(
    "-o", "--output", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@guarded
def explain(
    args: tuple[str, ...],
    configs: tuple[str, ...],
    namespace: str,
    istio_ref: str | None,
    output: str,
) -> None:
    """Explain one Envoy resource (its chain up and down) or one Istio object.

    RESOURCE_ID is e.g. route/http.8080/simple.baihl.io:80/0 or
    'cluster/outbound|80||x.ns.svc.cluster.local' (quote ids holding | characters).
    With --istio, list what that object produced, rule by rule.
    """
    import orjson

    from analyzer.attribution.engine import attribute
    from analyzer.errors import UsageError
    from analyzer.load.envoy import load_proxies
    from analyzer.report.explain import explain_object, explain_resource
    from analyzer.report.explain_text import render_object_text, render_resource_text

    dumps, resource_id = split_explain_args(args, istio_ref is not None)
    proxies = load_proxies(dumps)
    config = load_config(configs, namespace)
    chunks = []
    for proxy in proxies:
        attribution = attribute(proxy, config)
        if istio_ref is not None:
            obj = find_object(config, istio_ref)
            data = explain_object(attribution, obj)
            text = render_object_text(data)
        else:
            assert resource_id is not None
            data = explain_resource(attribution, resource_id)
            text = render_resource_text(data)
        data = {"proxy": proxy.name, **data}
        if output == "json":
            chunks.append(
                orjson.dumps(data, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2).decode()
            )
        else:
            header = f"# proxy {proxy.name} ({proxy.kind})\n" if len(proxies) > 1 else ""
            chunks.append(header + text)
    if not chunks:
        raise UsageError("nothing to explain")
    write_stdout("\n".join(chunks))


@main.command()
@click.argument("dumps", nargs=-1, required=True, metavar="DUMP...")
@click.option(
    "-c",
    "--config",
    "configs",
    multiple=True,
    metavar="PATH",
    help="Istio/Kubernetes YAML file or directory (repeatable). Without it, only what the dump "
    "alone shows is checked (references, rejected config, shadowed routes).",
)
@click.option(
    "-n",
    "--namespace",
    default="",
    metavar="NS",
    help="Namespace for YAML objects that name none (as with kubectl apply -n NS).",
)
@click.option(
    "-f",
    "--format",
    "formats",
    multiple=True,
    type=click.Choice(["table", "json", "markdown", "html", "sarif", "junit"]),
    help="Report format (repeatable, paired in order with -o). Default: table on a terminal, "
    "else json.",
)
@click.option(
    "-o", "--output", "outputs", multiple=True, metavar="FILE", help="Write the report here."
)
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "info", "never"]),
    default="error",
    show_default=True,
    help="Exit 1 when a finding is at or above this severity.",
)
@click.option(
    "--suppress",
    multiple=True,
    metavar="CODE[=OBJECT]",
    help="Drop findings of a code (or name), optionally only for an object or resource; "
    "wildcards allowed: ML0404=VirtualService/ns/*.",
)
@click.option(
    "--severity",
    "severities",
    multiple=True,
    metavar="CODE=LEVEL",
    help="Change a check's severity: ML0403=error.",
)
@click.option(
    "--redact",
    is_flag=True,
    help="Replace IPs, external hostnames, SNI/SAN and header values with stable placeholders.",
)
@guarded
def analyze(
    dumps: tuple[str, ...],
    configs: tuple[str, ...],
    namespace: str,
    formats: tuple[str, ...],
    outputs: tuple[str, ...],
    fail_on: str,
    suppress: tuple[str, ...],
    severities: tuple[str, ...],
    redact: bool,
) -> None:
    """Analyse captures against the Istio YAML: attribution, failed translations, drift.

    Exit status: 0 when no finding is at or above --fail-on, 1 when one is, 2 on bad input.
    """
    from analyzer.load.yaml_ahead import read_ahead_for

    pairs = pair_formats(formats, outputs)
    # The YAML's process starts first: it parses while this one imports the analysis.
    ahead = read_ahead_for(configs, dumps)
    try:
        from analyzer.checks.model import Severity
        from analyzer.checks.runner import Settings, parse_severities, parse_suppressions
        from analyzer.pipeline import analyze as run_analysis
        from analyzer.pipeline import report_data
        from analyzer.report.formats import OutputFormat

        settings = Settings(
            severities=parse_severities(severities), suppressions=parse_suppressions(suppress)
        )
        progress = progress_printer()
        analysis = run_analysis(dumps, configs, namespace, settings, progress, ahead)
    finally:
        if ahead is not None:
            ahead.close()  # done already, unless the analysis stopped early
    data = report_data(analysis)
    if redact:
        from analyzer.redact import redact_report

        data = redact_report(data)
    progress("")
    for fmt, target in pairs:
        text = OutputFormat(fmt).encoder()(data)
        if target is None:
            write_stdout(text)
        else:
            write_file(target, text)
    threshold = None if fail_on == "never" else Severity(fail_on)
    failed = threshold is not None and any(
        f.severity.at_least(threshold) for f in analysis.findings
    )
    exit_now(1 if failed else 0)


@main.command()
@click.argument("dumps", nargs=-1, required=True, metavar="DUMP...")
@click.option(
    "-o",
    "--output",
    required=True,
    metavar="OUT",
    help="Redacted file; with several inputs, a directory (each keeps its file name).",
)
@click.option(
    "-c",
    "--config",
    "configs",
    multiple=True,
    metavar="PATH",
    help="Istio/Kubernetes YAML file or directory to redact with the same mapping (repeatable); "
    "the redacted dump and YAML then attribute as the originals did.",
)
@guarded
def redact(dumps: tuple[str, ...], output: str, configs: tuple[str, ...]) -> None:
    """Write a copy of a capture that is safe to attach to a ticket, and still loads.

    IP addresses become documentation addresses (192.0.2.x, 2001:db8::x), hostnames outside
    the mesh host-N.example (consistently inside cluster names, SNIs and listener names),
    header match values, SANs and certificate or key bytes placeholders. Names under
    *.svc.cluster.local are kept. The same input always gives the same output; several DUMPs
    of one proxy, and the YAML given with -c, share one mapping. Same format as the input.
    """
    from analyzer.redact_dump import redact_dumps

    result = redact_dumps(dumps, output, configs)
    kinds = ", ".join(f"{count} {kind}" for kind, count in result.kinds.items()) or "nothing"
    for target in result.outputs:
        click.echo(f"meshlens: wrote {target}", err=True)
    click.echo(f"meshlens: replaced (distinct values): {kinds}", err=True)


@main.command()
def schema() -> None:
    """Print the JSON Schema of the analyze -f json report (docs/report.schema.json)."""
    from analyzer.report.schema import schema_text

    write_stdout(schema_text())


@main.command(name="map")
@click.argument("dumps", nargs=-1, required=True, metavar="DUMP...")
@yaml_options
@click.option(
    "-t",
    "--type",
    "types",
    multiple=True,
    type=click.Choice(
        ["listener", "filter_chain", "route_config", "virtual_host", "route", "cluster"]
    ),
    help="Resource types to list (repeatable). Default: all.",
)
@click.option("--unattributed", is_flag=True, help="List only resources nothing explains.")
@click.option(
    "-o", "--output", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@guarded
def map_command(
    dumps: tuple[str, ...],
    configs: tuple[str, ...],
    namespace: str,
    types: tuple[str, ...],
    unattributed: bool,
    output: str,
) -> None:
    """Map every listener, chain, route config, vhost, route and cluster to its Istio source.

    Each row names the object (Kind/namespace/name), the rule inside it (spec.http[1].match[0]),
    its file:line, and the evidence: Envoy metadata, Istio's naming, field matching, or an Istio
    built-in. The summary gives the share of resources the inputs explain.
    """
    from analyzer.attribution.coverage import REPORTED_TYPES
    from analyzer.attribution.engine import attribute
    from analyzer.load.envoy import load_proxies
    from analyzer.report.attribution_map import render_map_json, render_map_table

    proxies = load_proxies(dumps)
    config = load_config(configs, namespace)
    attributions = [attribute(proxy, config) for proxy in proxies]
    if output == "json":
        text = render_map_json(attributions)
    else:
        chosen = [t for t in REPORTED_TYPES if not types or t in types]
        text = render_map_table(attributions, chosen, unattributed)
    write_stdout(text)
    exit_now(0)


@main.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "markdown"]),
    default="table",
    show_default=True,
    help="markdown writes one page per check (and an index) into --docs-dir.",
)
@click.option(
    "--docs-dir",
    default="docs/checks",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Where --format markdown writes its pages.",
)
@guarded
def checks(fmt: str, docs_dir: str) -> None:
    """List the check catalogue, or write its documentation pages."""
    from analyzer.checks.registry import ALL
    from analyzer.report.check_docs import catalogue_index, catalogue_table, check_page

    if fmt == "table":
        write_stdout(catalogue_table(ALL))
        return
    os.makedirs(docs_dir, exist_ok=True)
    pages = {f"{check.CODE}.md": check_page(check) for check in ALL}
    pages["README.md"] = catalogue_index(ALL)
    for name, text in sorted(pages.items()):
        with open(os.path.join(docs_dir, name), "w", encoding="utf-8") as handle:
            handle.write(text)
    click.echo(f"wrote {len(pages)} pages to {docs_dir}", err=True)
