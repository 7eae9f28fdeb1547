"""The builders fill every model field from the right raw field.

They call the hot model constructors positionally (keyword calls cost three times as much), so a
field added or moved in ``analyzer.model.envoy`` without the builders following would shift
values into the wrong fields. Each test gives every field a distinct value and compares with a
model built by keyword.
"""

from __future__ import annotations

from typing import Any

from analyzer.load.camel import to_snake
from analyzer.load.envoy_capture import Capture
from analyzer.load.envoy_clusters import (
    build_cluster,
    endpoints_from_assignment,
    endpoints_from_status,
)
from analyzer.load.envoy_routes import build_route_config
from analyzer.model.envoy import (
    ACTIVE_STATIC,
    Cluster,
    ClusterKey,
    Endpoint,
    HeaderMatch,
    ResourceState,
    Route,
    RouteMatch,
    VirtualHost,
    WeightedCluster,
)

_TLS_SOCKET = {
    "name": "envoy.transport_sockets.tls",
    "typed_config": {
        "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
        "sni": "outbound_.9080_.v1_.reviews.default.svc.cluster.local",
    },
}


def test_cluster_fields_by_name() -> None:
    raw: dict[str, Any] = {
        "name": "outbound|9080|v1|reviews.default.svc.cluster.local",
        "type": "EDS",
        "eds_cluster_config": {"service_name": "eds-service"},
        "lb_policy": "LEAST_REQUEST",
        "connect_timeout": "10s",
        "circuit_breakers": {"thresholds": [{"max_connections": 1}]},
        "outlier_detection": {"consecutive_5xx": 7},
        "transport_socket_matches": [{"name": "tlsMode-istio", "transport_socket": _TLS_SOCKET}],
        "metadata": {
            "filter_metadata": {
                "istio": {
                    "config": "/apis/networking.istio.io/v1/namespaces/default/destination-rule/r",
                    "subset": "v1",
                    "services": [{"host": "reviews.default.svc.cluster.local"}, "not a map"],
                }
            }
        },
        "load_assignment": {"endpoints": [{"lb_endpoints": [{}, {}]}, {"lb_endpoints": [{}]}]},
    }
    state = ResourceState(status="warming", dynamic=True, version="v7", last_updated="t7")
    cluster = build_cluster(raw, state)
    assert cluster == Cluster(
        name="outbound|9080|v1|reviews.default.svc.cluster.local",
        state=state,
        key=ClusterKey("outbound", 9080, "v1", "reviews.default.svc.cluster.local"),
        discovery_type="EDS",
        lb_policy="LEAST_REQUEST",
        tls_mode="istio-auto",
        eds_service_name="eds-service",
        connect_timeout="10s",
        circuit_breakers={"thresholds": [{"max_connections": 1}]},
        outlier_detection={"consecutive_5xx": 7},
        sni="outbound_.9080_.v1_.reviews.default.svc.cluster.local",
        istio_config="/apis/networking.istio.io/v1/namespaces/default/destination-rule/r",
        istio_subset="v1",
        istio_services=({"host": "reviews.default.svc.cluster.local"},),
        inline_endpoints=3,
    )
    assert cluster.raw is raw


def test_cluster_entry_states_by_name() -> None:
    capture = Capture("dump.json")
    capture.add_clusters_dump(
        {
            "static_clusters": [{"cluster": {"name": "agent"}}],
            "dynamic_warming_clusters": [
                {"version_info": "v2", "last_updated": "t2", "cluster": {"name": "x"}}
            ],
        }
    )
    static, warming = capture.clusters
    assert static.state is ACTIVE_STATIC
    assert warming.state == ResourceState(
        status="warming", dynamic=True, version="v2", last_updated="t2", error=None
    )
    assert len({static.state, warming.state, ACTIVE_STATIC}) == 2  # hashable by value


def test_endpoint_fields_by_name() -> None:
    assignment = {
        "cluster_name": "outbound|9080||reviews.default.svc.cluster.local",
        "endpoints": [
            {
                "locality": {"region": "r1", "zone": "z1", "sub_zone": "s1"},
                "priority": 2,
                "lb_endpoints": [
                    {
                        "endpoint": {
                            "address": {"socket_address": {"address": "10.0.0.1", "port_value": 80}}
                        },
                        "health_status": "DRAINING",
                        "load_balancing_weight": {"value": 5},
                    }
                ],
            },
            {"locality": {"region": "r2", "zone": "z2"}, "lb_endpoints": [{}]},
            {"locality": {"region": "r3"}, "lb_endpoints": [{}]},
        ],
    }
    first, second, third = endpoints_from_assignment(assignment)
    assert first == Endpoint(
        cluster="outbound|9080||reviews.default.svc.cluster.local",
        address="10.0.0.1:80",
        health="DRAINING",
        weight=5,
        locality="r1/z1/s1",
        priority=2,
        source="eds",
    )
    assert (second.locality, second.health, second.weight) == ("r2/z2", "UNKNOWN", None)
    assert third.locality == "r3"
    status = {
        "name": "c",
        "host_statuses": [
            {
                "address": {"pipe": {"path": "/sock"}},
                "health_status": {"eds_health_status": "DEGRADED"},
                "weight": 3,
                "locality": {"zone": "z"},
                "priority": 1,
            }
        ],
    }
    assert endpoints_from_status(status) == [
        Endpoint(
            cluster="c",
            address="unix:///sock",
            health="DEGRADED",
            weight=3,
            locality="/z",
            priority=1,
            source="status",
        )
    ]


def test_route_fields_by_name() -> None:
    route_raw: dict[str, Any] = {
        "name": "jason",
        "match": {
            "prefix": "/api",
            "case_sensitive": False,
            "headers": [{"name": "end-user", "string_match": {"exact": "jason"}}],
            "query_parameters": [{"name": "q", "present_match": True}],
            "grpc": {},
        },
        "route": {
            "cluster": "outbound|9080|v2|reviews.default.svc.cluster.local",
            "weighted_clusters": {"clusters": [{"name": "a", "weight": 60}]},
            "cluster_header": "x-cluster",
            "prefix_rewrite": "/v2",
            "regex_rewrite": {"pattern": {"regex": "^/a"}, "substitution": "/b"},
            "host_rewrite_literal": "reviews.internal",
            "timeout": "3s",
            "retry_policy": {"num_retries": 4},
            "cors": {"allow_origin_string_match": [{"exact": "*"}]},
            "request_mirror_policies": [{"cluster": "mirror"}],
            "hash_policy": [{"header": {"header_name": "x-user"}}],
        },
        "typed_per_filter_config": {"envoy.filters.http.fault": {"abort": {"http_status": 503}}},
        "metadata": {"filter_metadata": {"istio": {"config": "/vs/reviews"}}},
        "decorator": {"operation": "reviews:9080/*"},
    }
    vhost_raw = {"name": "reviews:9080", "domains": ["reviews", "reviews:9080"]}
    raw = {"name": "9080", "virtual_hosts": [{**vhost_raw, "routes": [route_raw]}]}
    route_config = build_route_config(raw, ACTIVE_STATIC)
    (vhost,) = route_config.virtual_hosts
    (route,) = vhost.routes
    match = RouteMatch(
        kind="prefix",
        value="/api",
        case_sensitive=False,
        headers=(HeaderMatch("end-user", "exact", "jason"),),
        query_params=(HeaderMatch("q", "present", "true"),),
        grpc=True,
    )
    assert route == Route(
        route_config="9080",
        virtual_host="reviews:9080",
        index=0,
        name="jason",
        match=match,
        action="route",
        cluster="outbound|9080|v2|reviews.default.svc.cluster.local",
        weighted_clusters=(WeightedCluster("a", 60),),
        cluster_header="x-cluster",
        redirect=None,
        direct_response_status=None,
        prefix_rewrite="/v2",
        regex_rewrite={"pattern": {"regex": "^/a"}, "substitution": "/b"},
        host_rewrite="reviews.internal",
        timeout="3s",
        retry_policy={"num_retries": 4},
        cors={"allow_origin_string_match": [{"exact": "*"}]},
        fault={"abort": {"http_status": 503}},
        mirror_clusters=("mirror",),
        hash_policy=({"header": {"header_name": "x-user"}},),
        istio_config="/vs/reviews",
        decorator="reviews:9080/*",
    )
    assert route.raw is route_raw
    assert vhost == VirtualHost(
        route_config="9080",
        name="reviews:9080",
        domains=("reviews", "reviews:9080"),
        routes=(route,),
    )
    assert vhost.raw is raw["virtual_hosts"][0]


def test_non_forwarding_routes_keep_their_common_fields() -> None:
    routes = [
        {"name": "r", "match": {"path": "/old"}, "redirect": {"path_redirect": "/new"}},
        {"name": "d", "match": {"safe_regex": {"regex": ".*"}}, "direct_response": {"status": 418}},
        {"name": "n", "match": {}},
    ]
    raw = {"name": "rc", "virtual_hosts": [{"name": "vh", "routes": routes}]}
    redirect, direct, none = build_route_config(raw, ACTIVE_STATIC).virtual_hosts[0].routes
    assert redirect == Route(
        "rc",
        "vh",
        0,
        "r",
        RouteMatch("path", "/old"),
        "redirect",
        redirect={"path_redirect": "/new"},
    )
    assert direct == Route(
        "rc",
        "vh",
        1,
        "d",
        RouteMatch("safe_regex", ".*"),
        "direct_response",
        direct_response_status=418,
    )
    assert none == Route("rc", "vh", 2, "n", RouteMatch("prefix", ""), "none")


def test_camel_case_conversion_keeps_data_verbatim() -> None:
    camel = {
        "@type": "type.googleapis.com/envoy.config.cluster.v3.Cluster",
        "connectTimeout": "1s",
        "outlierDetection": {"consecutive5xx": 3, "enforcingConsecutive5xx": 100},
        "metadata": {"filterMetadata": {"istio": {"someKey": {"innerKey": 1}}}},
        "typedPerFilterConfig": {"envoy.filters.http.fault": {"abortPercent": {"value": 1}}},
        "transportSocketMatches": [
            {"name": "tlsMode-istio", "match": {"tlsMode": "istio"}, "transportSocket": {}}
        ],
        "node": {"id": "x", "cluster": "c", "metadata": {"LABELS": {"appName": "a"}}},
        "typedConfig": {"@type": "udpa.type.v1.TypedStruct", "value": {"keepMe": [{"aB": 1}]}},
        "labels": {"someLabel": "v"},
        "listOfThings": [{"innerName": 1}, 2, "three"],
    }
    assert to_snake(camel) == {
        "@type": "type.googleapis.com/envoy.config.cluster.v3.Cluster",
        "connect_timeout": "1s",
        "outlier_detection": {"consecutive_5xx": 3, "enforcing_consecutive_5xx": 100},
        "metadata": {"filter_metadata": {"istio": {"someKey": {"innerKey": 1}}}},
        "typed_per_filter_config": {"envoy.filters.http.fault": {"abort_percent": {"value": 1}}},
        "transport_socket_matches": [
            {"name": "tlsMode-istio", "match": {"tlsMode": "istio"}, "transport_socket": {}}
        ],
        "node": {"id": "x", "cluster": "c", "metadata": {"LABELS": {"appName": "a"}}},
        "typed_config": {"@type": "udpa.type.v1.TypedStruct", "value": {"keepMe": [{"aB": 1}]}},
        "labels": {"someLabel": "v"},
        "list_of_things": [{"inner_name": 1}, 2, "three"],
    }
