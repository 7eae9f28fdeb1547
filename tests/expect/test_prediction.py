"""The translation rules one by one, on small YAML: the traps that would give false positives."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.attribution.mesh import MeshIndex
from analyzer.expect.cluster_set import cluster_drifts
from analyzer.expect.common import creation_order, same_duration, seconds
from analyzer.expect.prediction import Prediction, predict
from analyzer.expect.protocol import AUTO, entry_port_protocol, service_port_protocol
from analyzer.expect.routes import destination_of, expected_slots
from analyzer.expect.services import resolve_host
from analyzer.load.istio import load_istio
from analyzer.model.envoy import ACTIVE_STATIC, Cluster, ClusterKey, Proxy

SIDECAR = Proxy(
    node_id="sidecar~10.0.0.5~app-1.default~default.svc.cluster.local",
    name="app-1.default",
    kind="sidecar",
    namespace="default",
    labels={"app": "app", "version": "v1"},
    labels_known=True,
    istio_version="1.24.2",
)
GATEWAY = Proxy(
    node_id="router~10.0.0.9~gw-1.istio-system~istio-system.svc.cluster.local",
    name="gw-1.istio-system",
    kind="gateway",
    namespace="istio-system",
    labels={"istio": "ingressgateway"},
    labels_known=True,
    istio_version="1.24.2",
)
GATEWAY_SERVICE = """
apiVersion: v1
kind: Service
metadata: {name: ingress, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  ports:
  - {name: http2, port: 80, targetPort: 8080}
  - {name: https, port: 443, targetPort: 8443}
---
"""


def _predict(tmp_path: Path, text: str, proxy: Proxy = SIDECAR) -> Prediction:
    path = tmp_path / "istio.yaml"
    path.write_text(text)
    return predict(MeshIndex.build(load_istio([str(path)]), proxy))


@pytest.mark.parametrize(
    ("port", "protocol"),
    [
        ({"name": "http-web", "port": 80}, "HTTP"),
        ({"name": "grpc-web-api", "port": 80}, "GRPC-WEB"),
        ({"name": "HTTP2", "port": 80}, "HTTP2"),
        ({"name": "8083", "port": 8083}, AUTO),
        ({"name": "web", "port": 80, "appProtocol": "http"}, "HTTP"),
        ({"name": "tcp", "port": 80, "appProtocol": "kubernetes.io/h2c"}, "HTTP2"),
        ({"name": "http", "port": 53, "protocol": "UDP"}, "UDP"),
    ],
)
def test_service_port_protocol(port: dict[str, object], protocol: str) -> None:
    assert service_port_protocol(port) == protocol


def test_entry_port_protocol_prefers_the_protocol_field() -> None:
    assert entry_port_protocol({"name": "http", "number": 443, "protocol": "TLS"}) == "TLS"
    assert entry_port_protocol({"name": "http-x", "number": 80}) == "HTTP"


def test_durations_compare_across_notations() -> None:
    assert seconds("1m30s") == 90
    assert same_duration("500ms", "0.500s")
    assert same_duration("2s", {"seconds": 2})
    assert not same_duration("1s", "10s")
    assert seconds("soon") is None


def test_short_names_resolve_only_without_dots() -> None:
    assert resolve_host("reviews", "default", "cluster.local") == (
        "reviews.default.svc.cluster.local"
    )
    assert resolve_host("reviews.default", "x", "cluster.local") == "reviews.default"
    assert resolve_host("*", "x", "cluster.local") == "*"


def test_creation_order_without_timestamps_is_by_name_and_uncertain(tmp_path: Path) -> None:
    prediction = _predict(
        tmp_path,
        """
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: zeta, namespace: default}
spec: {hosts: [a], http: [{route: [{destination: {host: a}}]}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: alpha, namespace: default}
spec: {hosts: [a], http: [{route: [{destination: {host: a}}]}]}
""",
    )
    ordered, sure = creation_order([b.vs for b in prediction.scope.bindings])
    assert [o.name for o in ordered] == ["alpha", "zeta"] and not sure
    shadowed = [n for n in prediction.scope.not_applied if n.kind == "shadowed"]
    assert [n.vs.name for n in shadowed] == ["zeta"]


def test_routes_stop_after_catch_all_and_skip_other_ports(tmp_path: Path) -> None:
    prediction = _predict(
        tmp_path,
        """
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: r, namespace: default}
spec:
  hosts: [r]
  http:
  - match: [{port: 8080}, {uri: {prefix: /a}}, {uri: {prefix: /}}, {uri: {prefix: /b}}]
    route: [{destination: {host: r}}]
  - route: [{destination: {host: r}}]
""",
    )
    vs = prediction.scope.bindings[0].vs
    assert expected_slots(vs, 9080, "mesh", SIDECAR) == [(0, 1), (0, 2)]
    # On 8080 the port-only match is itself a catch-all (prefix "/", no conditions).
    assert expected_slots(vs, 8080, "mesh", SIDECAR) == [(0, 0)]


def test_source_labels_are_not_predicted_without_proxy_labels(tmp_path: Path) -> None:
    prediction = _predict(
        tmp_path,
        """
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: r, namespace: default}
spec:
  hosts: [r]
  http:
  - match: [{sourceLabels: {app: other}}]
    route: [{destination: {host: r}}]
""",
    )
    vs = prediction.scope.bindings[0].vs
    assert expected_slots(vs, 80, "mesh", SIDECAR) == []
    unlabelled = Proxy(kind="sidecar", namespace="default", labels_known=False)
    assert expected_slots(vs, 80, "mesh", unlabelled) is None


def test_destination_port_follows_get_destination_cluster(tmp_path: Path) -> None:
    prediction = _predict(
        tmp_path,
        """
apiVersion: v1
kind: Service
metadata: {name: one, namespace: default}
spec: {ports: [{name: http, port: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: two, namespace: default}
spec: {ports: [{name: http, port: 80}, {name: http-admin, port: 9000}]}
""",
    )
    registry = prediction.registry
    vs = load_istio([str(tmp_path / "istio.yaml")]).objects[0]
    one = destination_of(vs, {"host": "one", "subset": "v2"}, 80, registry)
    two = destination_of(vs, {"host": "two"}, 9000, registry)
    unknown = destination_of(vs, {"host": "three"}, 80, registry)
    assert one is not None and one.cluster == "outbound|8080|v2|one.default.svc.cluster.local"
    assert two is not None and two.cluster == "outbound|9000||two.default.svc.cluster.local"
    assert unknown is not None and unknown.cluster is None


def test_destination_rules_merge_first_policy_wins(tmp_path: Path) -> None:
    prediction = _predict(
        tmp_path,
        """
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: late, namespace: default, creationTimestamp: "2025-02-01T00:00:00Z"}
spec:
  host: r
  trafficPolicy: {loadBalancer: {simple: RANDOM}}
  subsets: [{name: v1, labels: {v: "1"}}, {name: v3, labels: {v: "3"}}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: early, namespace: default, creationTimestamp: "2025-01-01T00:00:00Z"}
spec:
  host: r.default.svc.cluster.local
  trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}
  subsets: [{name: v1, labels: {v: "one"}}]
""",
    )
    rule = prediction.effective_rule("r.default.svc.cluster.local")
    assert rule is not None and rule.certain
    assert rule.policy_rule is not None and rule.policy_rule.name == "early"
    assert [(s.name, s.rule.name) for s in rule.subsets] == [("v1", "early"), ("v3", "late")]
    assert sorted(i.path for i in rule.ignored) == ["spec.subsets[0]", "spec.trafficPolicy"]


def test_proxy_namespace_rule_wins_over_service_namespace(tmp_path: Path) -> None:
    prediction = _predict(
        tmp_path,
        """
apiVersion: v1
kind: Service
metadata: {name: r, namespace: backend}
spec: {ports: [{name: http, port: 80}]}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: owner, namespace: backend}
spec: {host: r.backend.svc.cluster.local, subsets: [{name: v1, labels: {v: "1"}}]}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: client, namespace: default}
spec: {host: r.backend.svc.cluster.local, trafficPolicy: {tls: {mode: DISABLE}}}
""",
    )
    rule = prediction.effective_rule("r.backend.svc.cluster.local")
    assert rule is not None and [r.name for r in rule.rules] == ["client"]


def test_gateway_merge_skips_clashes_and_duplicate_tls_hosts(tmp_path: Path) -> None:
    prediction = _predict(
        tmp_path,
        GATEWAY_SERVICE
        + """
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: a, namespace: istio-system, creationTimestamp: "2025-01-01T00:00:00Z"}
spec:
  selector: {istio: ingressgateway}
  servers:
  - {port: {number: 80, name: http, protocol: HTTP}, hosts: [a.example.com]}
  - port: {number: 443, name: https, protocol: HTTPS}
    tls: {mode: SIMPLE, credentialName: a}
    hosts: [a.example.com]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: b, namespace: istio-system, creationTimestamp: "2025-01-02T00:00:00Z"}
spec:
  selector: {istio: ingressgateway}
  servers:
  - {port: {number: 80, name: tcp, protocol: TCP}, hosts: [b.example.com]}
  - {port: {number: 80, name: http-b, protocol: HTTP}, hosts: [b.example.com]}
  - port: {number: 443, name: https-b, protocol: HTTPS}
    tls: {mode: SIMPLE, credentialName: b}
    hosts: [a.example.com]
  - {port: {number: 9443, name: https-c, protocol: HTTPS}, hosts: [c.example.com]}
""",
        GATEWAY,
    )
    view = prediction.view
    assert [(s.gateway.name, s.path) for s in view.servers] == [
        ("a", "spec.servers[0]"),
        ("a", "spec.servers[1]"),
        ("b", "spec.servers[1]"),
    ]
    assert [(s.server.path, s.kind) for s in view.skipped] == [
        ("spec.servers[0]", "protocol-clash"),
        ("spec.servers[2]", "duplicate-tls-host"),
        ("spec.servers[3]", "port-not-on-service"),
        ("spec.servers[3]", "missing-tls"),
    ]
    assert view.servers[0].route_config == "http.8080"
    assert view.servers[1].route_config == "https.443.https.a.istio-system"


def test_gateway_vhost_takes_the_narrower_host(tmp_path: Path) -> None:
    prediction = _predict(
        tmp_path,
        GATEWAY_SERVICE
        + """
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - {port: {number: 80, name: http, protocol: HTTP}, hosts: ["*.example.com", "web/x.internal"]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: default}
spec:
  hosts: ["*", x.internal]
  gateways: [istio-system/gw]
  http: [{route: [{destination: {host: svc}}]}]
""",
        GATEWAY,
    )
    assert [(p.route_config, p.vhost) for p in prediction.placements] == [
        ("http.8080", "*.example.com:80")
    ]
    not_applied = [(n.kind, n.path) for n in prediction.scope.not_applied]
    assert not_applied == [("host-not-on-gateway", "spec.hosts[1]")]


def test_sidecar_egress_hosts_scope_services_and_virtual_services(tmp_path: Path) -> None:
    prediction = _predict(
        tmp_path,
        """
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: default}
spec:
  egress:
  - hosts: ["./*", "istio-system/*"]
---
apiVersion: v1
kind: Service
metadata: {name: near, namespace: default}
spec: {ports: [{name: http, port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: far, namespace: other}
spec: {ports: [{name: http, port: 80}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: far, namespace: other}
spec: {hosts: [far], http: [{route: [{destination: {host: far}}]}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: near, namespace: default}
spec: {hosts: [near], http: [{route: [{destination: {host: near}}]}]}
""",
    )
    assert [b.vs.name for b in prediction.scope.bindings] == ["near"]
    assert [d.host for d in prediction.registry.all_visible()] == ["near.default.svc.cluster.local"]


def _cluster(subset: str, lb_policy: str) -> Cluster:
    host = "r.default.svc.cluster.local"
    key = ClusterKey("outbound", 80, subset, host)
    name = f"outbound|80|{subset}|{host}"
    return Cluster(name, ACTIVE_STATIC, key, "EDS", lb_policy, "istio-auto")


def test_cluster_policy_of_a_subset_with_its_own_policy_is_not_shared(tmp_path: Path) -> None:
    # The default cluster and plain subsets share one set of expected settings; a subset with a
    # trafficPolicy of its own gets its own, whichever cluster comes first.
    proxy = Proxy(
        node_id=SIDECAR.node_id,
        name=SIDECAR.name,
        kind="sidecar",
        namespace="default",
        labels=dict(SIDECAR.labels),
        labels_known=True,
        istio_version="1.24.2",
        clusters=[
            _cluster("plain", "ROUND_ROBIN"),
            _cluster("own", "ROUND_ROBIN"),
            _cluster("", "LEAST_REQUEST"),
        ],
    )
    prediction = _predict(
        tmp_path,
        """
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: r, namespace: default}
spec:
  host: r
  trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}
  subsets:
  - {name: plain, labels: {version: v1}}
  - name: own
    labels: {version: v2}
    trafficPolicy: {loadBalancer: {simple: LEAST_REQUEST}}
""",
        proxy,
    )
    drifts = [
        (d.cluster.name.split("|")[2], d.diff.setting.expected, d.diff.setting.path)
        for d in cluster_drifts(prediction)
    ]
    assert drifts == [
        ("own", "LEAST_REQUEST", "spec.subsets[1].trafficPolicy.loadBalancer.simple"),
        ("", "ROUND_ROBIN", "spec.trafficPolicy.loadBalancer.simple"),
    ]
