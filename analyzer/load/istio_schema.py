"""Hand-written schemas of the Istio resources and the Kubernetes Service spec, as plain data.

Read from the Istio API (istio/api networking/v1alpha3/*.proto, security/v1beta1, and the CRDs
generated from them as of Istio 1.27) and the Kubernetes core/v1 Service type. Istio serves the
same schema under v1alpha3, v1beta1 and v1. ``analyzer.load.istio_validate`` walks these tables.

A message maps each field (its camelCase JSON name) to a type written as a short string:

* ``str``, ``bool``, ``int`` (integer), ``num`` (integer or decimal), ``any`` (free-form value,
  e.g. an EnvoyFilter patch), ``duration`` (Go duration: ``10s``, ``1.5s``, ``100ms``, ``1h30m``),
  ``port`` (integer 1-65535), ``intstr`` (integer or string, like a Service ``targetPort``),
  ``protocol`` (an Istio port protocol, case-insensitive; empty means "sniff");
* the name of an enum in ``ENUMS`` or of another message in ``MESSAGES``;
* ``[T]`` for a list of T and ``{T}`` for a map from string to T;
* a trailing ``!`` for a required field (for a list: present and not empty).
"""

from __future__ import annotations

from typing import Final

_ENUM_VALUES: Final[dict[str, str]] = {
    # networking.istio.io
    "SimpleLB": "UNSPECIFIED LEAST_CONN RANDOM PASSTHROUGH ROUND_ROBIN LEAST_REQUEST",
    "ClientTLSMode": "DISABLE SIMPLE MUTUAL ISTIO_MUTUAL",
    "ServerTLSMode": "PASSTHROUGH SIMPLE MUTUAL AUTO_PASSTHROUGH ISTIO_MUTUAL OPTIONAL_MUTUAL",
    "TLSProtocol": "TLS_AUTO TLSV1_0 TLSV1_1 TLSV1_2 TLSV1_3",
    "H2UpgradePolicy": "DEFAULT DO_NOT_UPGRADE UPGRADE",
    "ProxyProtocolVersion": "V1 V2",
    "Location": "MESH_EXTERNAL MESH_INTERNAL",
    "Resolution": "NONE STATIC DNS DNS_ROUND_ROBIN DYNAMIC_DNS",
    "CaptureMode": "DEFAULT IPTABLES NONE",
    "OutboundMode": "REGISTRY_ONLY ALLOW_ANY",
    "RedirectPortSelection": "FROM_PROTOCOL_DEFAULT FROM_REQUEST_PORT",
    "UnmatchedPreflights": "UNSPECIFIED FORWARD IGNORE",
    "ApplyTo": (
        "INVALID LISTENER FILTER_CHAIN NETWORK_FILTER HTTP_FILTER ROUTE_CONFIGURATION "
        "VIRTUAL_HOST HTTP_ROUTE CLUSTER EXTENSION_CONFIG BOOTSTRAP LISTENER_FILTER"
    ),
    "PatchContext": "ANY SIDECAR_INBOUND SIDECAR_OUTBOUND GATEWAY WAYPOINT",
    "PatchOperation": "INVALID MERGE ADD REMOVE INSERT_BEFORE INSERT_AFTER INSERT_FIRST REPLACE",
    "FilterClass": "UNSPECIFIED AUTHN AUTHZ STATS",
    "RouteAction": "ANY ROUTE REDIRECT DIRECT_RESPONSE",
    # security.istio.io
    "MTLSMode": "UNSET DISABLE PERMISSIVE STRICT",
    # Kubernetes core/v1 (case-sensitive, as the API server checks them)
    "ServiceType": "ClusterIP NodePort LoadBalancer ExternalName",
    "KubeProtocol": "TCP UDP SCTP",
    "SessionAffinity": "None ClientIP",
    "ServiceTrafficPolicy": "Cluster Local",
    "IPFamily": "IPv4 IPv6",
    "IPFamilyPolicy": "SingleStack PreferDualStack RequireDualStack",
}
ENUMS: Final[dict[str, tuple[str, ...]]] = {k: tuple(v.split()) for k, v in _ENUM_VALUES.items()}
"""Enum name -> allowed values (written above as space-separated words)."""

PROTOCOLS: Final = frozenset(
    {"http", "https", "grpc", "grpc-web", "http2", "http_proxy", "tcp", "tls", "udp"}
    | {"mongo", "redis", "mysql"}
)
"""Port protocols Istio parses (``pkg/config/protocol``), compared in lower case."""

_TRAFFIC_POLICY_COMMON: Final = {
    "loadBalancer": "LoadBalancerSettings",
    "connectionPool": "ConnectionPoolSettings",
    "outlierDetection": "OutlierDetection",
    "tls": "ClientTLSSettings",
}

MESSAGES: Final[dict[str, dict[str, str]]] = {
    # --- shared ---------------------------------------------------------------------------
    "Destination": {"host": "str!", "subset": "str", "port": "PortSelector"},
    "PortSelector": {"number": "int"},
    "Percent": {"value": "num"},
    "StringMatch": {"exact": "str", "prefix": "str", "regex": "str"},
    "Headers": {"request": "HeaderOperations", "response": "HeaderOperations"},
    "HeaderOperations": {"set": "{str}", "add": "{str}", "remove": "[str]"},
    "WorkloadLabels": {"labels": "{str}"},  # networking WorkloadSelector
    "MatchLabels": {"matchLabels": "{str}"},  # istio.type.v1beta1.WorkloadSelector
    # --- VirtualService -------------------------------------------------------------------
    "VirtualService": {
        "hosts": "[str]",  # empty only for a delegate VirtualService
        "gateways": "[str]",
        "http": "[HTTPRoute]",
        "tls": "[TLSRoute]",
        "tcp": "[TCPRoute]",
        "exportTo": "[str]",
    },
    "HTTPRoute": {
        "name": "str",
        "match": "[HTTPMatchRequest]",
        "route": "[HTTPRouteDestination]",
        "redirect": "HTTPRedirect",
        "directResponse": "HTTPDirectResponse",
        "delegate": "Delegate",
        "rewrite": "HTTPRewrite",
        "timeout": "duration",
        "retries": "HTTPRetry",
        "fault": "HTTPFaultInjection",
        "mirror": "Destination",
        "mirrors": "[HTTPMirrorPolicy]",
        "mirrorPercent": "int",
        "mirror_percent": "int",  # the deprecated field's JSON name really is snake_case
        "mirrorPercentage": "Percent",
        "corsPolicy": "CorsPolicy",
        "headers": "Headers",
    },
    "Delegate": {"name": "str", "namespace": "str"},
    "HTTPMatchRequest": {
        "name": "str",
        "uri": "StringMatch",
        "scheme": "StringMatch",
        "method": "StringMatch",
        "authority": "StringMatch",
        "headers": "{StringMatch}",
        "port": "int",
        "sourceLabels": "{str}",
        "gateways": "[str]",
        "queryParams": "{StringMatch}",
        "ignoreUriCase": "bool",
        "withoutHeaders": "{StringMatch}",
        "sourceNamespace": "str",
        "statPrefix": "str",
    },
    "HTTPRouteDestination": {"destination": "Destination!", "weight": "int", "headers": "Headers"},
    "RouteDestination": {"destination": "Destination!", "weight": "int"},
    "TLSRoute": {"match": "[TLSMatchAttributes]!", "route": "[RouteDestination]"},
    "TCPRoute": {"match": "[L4MatchAttributes]", "route": "[RouteDestination]"},
    "TLSMatchAttributes": {
        "sniHosts": "[str]!",
        "destinationSubnets": "[str]",
        "port": "int",
        "sourceLabels": "{str}",
        "gateways": "[str]",
        "sourceNamespace": "str",
    },
    "L4MatchAttributes": {
        "destinationSubnets": "[str]",
        "port": "int",
        "sourceLabels": "{str}",
        "gateways": "[str]",
        "sourceNamespace": "str",
        "sourceSubnet": "str",
    },
    "HTTPRedirect": {
        "uri": "str",
        "authority": "str",
        "port": "int",
        "derivePort": "RedirectPortSelection",
        "scheme": "str",
        "redirectCode": "int",
    },
    "HTTPDirectResponse": {"status": "int!", "body": "HTTPBody"},
    "HTTPBody": {"string": "str", "bytes": "str"},
    "HTTPRewrite": {"uri": "str", "authority": "str", "uriRegexRewrite": "RegexRewrite"},
    "RegexRewrite": {"match": "str", "rewrite": "str"},
    "HTTPRetry": {
        "attempts": "int",
        "perTryTimeout": "duration",
        "retryOn": "str",
        "retryRemoteLocalities": "bool",
        "retryIgnorePreviousHosts": "bool",
        "backoff": "duration",
    },
    "CorsPolicy": {
        "allowOrigin": "[str]",
        "allowOrigins": "[StringMatch]",
        "allowMethods": "[str]",
        "allowHeaders": "[str]",
        "exposeHeaders": "[str]",
        "maxAge": "duration",
        "allowCredentials": "bool",
        "unmatchedPreflights": "UnmatchedPreflights",
    },
    "HTTPFaultInjection": {"delay": "Delay", "abort": "Abort"},
    "Delay": {
        "fixedDelay": "duration",
        "exponentialDelay": "duration",
        "percent": "int",
        "percentage": "Percent",
    },
    "Abort": {
        "httpStatus": "int",
        "grpcStatus": "str",
        "http2Error": "str",
        "percentage": "Percent",
    },
    "HTTPMirrorPolicy": {"destination": "Destination!", "percentage": "Percent"},
    # --- DestinationRule ------------------------------------------------------------------
    "DestinationRule": {
        "host": "str!",
        "trafficPolicy": "TrafficPolicy",
        "subsets": "[Subset]",
        "exportTo": "[str]",
        "workloadSelector": "MatchLabels",
    },
    "TrafficPolicy": {
        **_TRAFFIC_POLICY_COMMON,
        "portLevelSettings": "[PortTrafficPolicy]",
        "tunnel": "TunnelSettings",
        "proxyProtocol": "ProxyProtocol",
        "retryBudget": "RetryBudget",
    },
    "PortTrafficPolicy": {"port": "PortSelector", **_TRAFFIC_POLICY_COMMON},
    "Subset": {"name": "str!", "labels": "{str}", "trafficPolicy": "TrafficPolicy"},
    "LoadBalancerSettings": {
        "simple": "SimpleLB",
        "consistentHash": "ConsistentHashLB",
        "localityLbSetting": "LocalityLoadBalancerSetting",
        "warmupDurationSecs": "duration",
        "warmup": "WarmupConfiguration",
    },
    "WarmupConfiguration": {"duration": "duration!", "minimumPercent": "num", "aggression": "num"},
    "ConsistentHashLB": {
        "httpHeaderName": "str",
        "httpCookie": "HTTPCookie",
        "useSourceIp": "bool",
        "httpQueryParameterName": "str",
        "ringHash": "RingHash",
        "maglev": "MagLev",
        "minimumRingSize": "int",
    },
    "HTTPCookie": {"name": "str!", "path": "str", "ttl": "duration", "attributes": "[Attribute]"},
    "Attribute": {"name": "str!", "value": "str"},
    "RingHash": {"minimumRingSize": "int"},
    "MagLev": {"tableSize": "int"},
    "LocalityLoadBalancerSetting": {
        "distribute": "[Distribute]",
        "failover": "[Failover]",
        "failoverPriority": "[str]",
        "enabled": "bool",
    },
    "Distribute": {"from": "str", "to": "{int}"},
    "Failover": {"from": "str", "to": "str"},
    "ConnectionPoolSettings": {"tcp": "TCPSettings", "http": "HTTPSettings"},
    "TCPSettings": {
        "maxConnections": "int",
        "connectTimeout": "duration",
        "tcpKeepalive": "TcpKeepalive",
        "maxConnectionDuration": "duration",
        "idleTimeout": "duration",
    },
    "TcpKeepalive": {"probes": "int", "time": "duration", "interval": "duration"},
    "HTTPSettings": {
        "http1MaxPendingRequests": "int",
        "http2MaxRequests": "int",
        "maxRequestsPerConnection": "int",
        "maxRetries": "int",
        "idleTimeout": "duration",
        "h2UpgradePolicy": "H2UpgradePolicy",
        "useClientProtocol": "bool",
        "maxConcurrentStreams": "int",
    },
    "OutlierDetection": {
        "consecutiveErrors": "int",
        "splitExternalLocalOriginErrors": "bool",
        "consecutiveLocalOriginFailures": "int",
        "consecutiveGatewayErrors": "int",
        "consecutive5xxErrors": "int",
        "interval": "duration",
        "baseEjectionTime": "duration",
        "maxEjectionPercent": "int",
        "minHealthPercent": "int",
    },
    "ClientTLSSettings": {
        "mode": "ClientTLSMode",
        "clientCertificate": "str",
        "privateKey": "str",
        "caCertificates": "str",
        "credentialName": "str",
        "subjectAltNames": "[str]",
        "sni": "str",
        "insecureSkipVerify": "bool",
        "caCrl": "str",
    },
    "TunnelSettings": {"protocol": "str", "targetHost": "str!", "targetPort": "int!"},
    "ProxyProtocol": {"version": "ProxyProtocolVersion"},
    "RetryBudget": {"percent": "num", "minRetryConcurrency": "int"},
    # --- Gateway --------------------------------------------------------------------------
    "Gateway": {"servers": "[Server]!", "selector": "{str}"},
    "Server": {
        "port": "Port!",
        "bind": "str",
        "hosts": "[str]!",
        "tls": "ServerTLSSettings",
        "defaultEndpoint": "str",
        "name": "str",
    },
    "Port": {"number": "port!", "protocol": "protocol!", "name": "str!", "targetPort": "int"},
    "ServerTLSSettings": {
        "httpsRedirect": "bool",
        "mode": "ServerTLSMode",
        "serverCertificate": "str",
        "privateKey": "str",
        "caCertificates": "str",
        "caCrl": "str",
        "credentialName": "str",
        "credentialNames": "[str]",
        "caCertCredentialName": "str",
        "tlsCertificates": "[TLSCertificate]",
        "subjectAltNames": "[str]",
        "verifyCertificateSpki": "[str]",
        "verifyCertificateHash": "[str]",
        "minProtocolVersion": "TLSProtocol",
        "maxProtocolVersion": "TLSProtocol",
        "cipherSuites": "[str]",
    },
    "TLSCertificate": {"serverCertificate": "str", "privateKey": "str", "caCertificates": "str"},
    # --- ServiceEntry and WorkloadEntry ---------------------------------------------------
    "ServiceEntry": {
        "hosts": "[str]!",
        "addresses": "[str]",
        "ports": "[ServicePort]",
        "location": "Location",
        "resolution": "Resolution",
        "endpoints": "[WorkloadEntry]",
        "workloadSelector": "WorkloadLabels",
        "exportTo": "[str]",
        "subjectAltNames": "[str]",
    },
    "ServicePort": {"number": "port!", "protocol": "protocol", "name": "str!", "targetPort": "int"},
    "WorkloadEntry": {
        "address": "str",
        "ports": "{int}",
        "labels": "{str}",
        "network": "str",
        "locality": "str",
        "weight": "int",
        "serviceAccount": "str",
    },
    # --- Sidecar --------------------------------------------------------------------------
    "Sidecar": {
        "workloadSelector": "WorkloadLabels",
        "ingress": "[IstioIngressListener]",
        "egress": "[IstioEgressListener]",
        "inboundConnectionPool": "ConnectionPoolSettings",
        "outboundTrafficPolicy": "OutboundTrafficPolicy",
    },
    "IstioIngressListener": {
        "port": "SidecarPort!",
        "bind": "str",
        "captureMode": "CaptureMode",
        "defaultEndpoint": "str",
        "tls": "ServerTLSSettings",
        "connectionPool": "ConnectionPoolSettings",
    },
    "IstioEgressListener": {
        "port": "SidecarPort",
        "bind": "str",
        "captureMode": "CaptureMode",
        "hosts": "[str]!",
    },
    "SidecarPort": {"number": "int", "protocol": "protocol", "name": "str", "targetPort": "int"},
    "OutboundTrafficPolicy": {"mode": "OutboundMode", "egressProxy": "Destination"},
    # --- EnvoyFilter ----------------------------------------------------------------------
    "EnvoyFilter": {
        "workloadSelector": "WorkloadLabels",
        "targetRefs": "[PolicyTargetReference]",
        "configPatches": "[EnvoyConfigObjectPatch]",
        "priority": "int",
    },
    "PolicyTargetReference": {"group": "str", "kind": "str!", "name": "str!", "namespace": "str"},
    "EnvoyConfigObjectPatch": {
        "applyTo": "ApplyTo",
        "match": "EnvoyConfigObjectMatch",
        "patch": "Patch",
    },
    "EnvoyConfigObjectMatch": {
        "context": "PatchContext",
        "proxy": "ProxyMatch",
        "listener": "ListenerMatch",
        "routeConfiguration": "RouteConfigurationMatch",
        "cluster": "ClusterMatch",
        "waypoint": "WaypointMatch",
    },
    "ProxyMatch": {"proxyVersion": "str", "metadata": "{str}"},
    "ListenerMatch": {
        "portNumber": "int",
        "portName": "str",
        "filterChain": "FilterChainMatch",
        "listenerFilter": "str",
        "name": "str",
    },
    "FilterChainMatch": {
        "name": "str",
        "sni": "str",
        "transportProtocol": "str",
        "applicationProtocols": "str",
        "filter": "FilterMatch",
        "destinationPort": "int",
    },
    "FilterMatch": {"name": "str", "subFilter": "SubFilterMatch"},
    "SubFilterMatch": {"name": "str"},
    "RouteConfigurationMatch": {
        "portNumber": "int",
        "portName": "str",
        "gateway": "str",
        "vhost": "VirtualHostMatch",
        "name": "str",
    },
    "VirtualHostMatch": {"name": "str", "domainName": "str", "route": "RouteMatch"},
    "RouteMatch": {"name": "str", "action": "RouteAction"},
    "ClusterMatch": {"portNumber": "int", "service": "str", "subset": "str", "name": "str"},
    "WaypointMatch": {"filter": "FilterMatch", "route": "WaypointRouteMatch", "portNumber": "int"},
    "WaypointRouteMatch": {"name": "str"},
    "Patch": {"operation": "PatchOperation", "value": "any", "filterClass": "FilterClass"},
    # --- PeerAuthentication (security.istio.io) -------------------------------------------
    "PeerAuthentication": {
        "selector": "MatchLabels",
        "mtls": "MutualTLS",
        "portLevelMtls": "{MutualTLS}",
    },
    "MutualTLS": {"mode": "MTLSMode"},
    # --- Kubernetes Service (core/v1 ServiceSpec) -----------------------------------------
    "ServiceSpec": {
        "ports": "[KubeServicePort]",
        "selector": "{str}",
        "clusterIP": "str",
        "clusterIPs": "[str]",
        "type": "ServiceType",
        "externalIPs": "[str]",
        "externalName": "str",
        "sessionAffinity": "SessionAffinity",
        "sessionAffinityConfig": "SessionAffinityConfig",
        "loadBalancerIP": "str",
        "loadBalancerSourceRanges": "[str]",
        "loadBalancerClass": "str",
        "allocateLoadBalancerNodePorts": "bool",
        "externalTrafficPolicy": "ServiceTrafficPolicy",
        "internalTrafficPolicy": "ServiceTrafficPolicy",
        "healthCheckNodePort": "int",
        "publishNotReadyAddresses": "bool",
        "ipFamilies": "[IPFamily]",
        "ipFamilyPolicy": "IPFamilyPolicy",
        "trafficDistribution": "str",
        "topologyKeys": "[str]",  # removed in Kubernetes 1.22; old manifests still carry it
    },
    "KubeServicePort": {
        "name": "str",
        "protocol": "KubeProtocol",
        "appProtocol": "str",
        "port": "port!",
        "targetPort": "intstr",
        "nodePort": "int",
    },
    "SessionAffinityConfig": {"clientIP": "ClientIPConfig"},
    "ClientIPConfig": {"timeoutSeconds": "int"},
}

ONE_OF: Final[dict[str, tuple[tuple[str, ...], ...]]] = {
    "StringMatch": (("exact", "prefix", "regex"),),
    "LoadBalancerSettings": (("simple", "consistentHash"),),
    "ConsistentHashLB": (
        ("httpHeaderName", "httpCookie", "useSourceIp", "httpQueryParameterName"),
        ("ringHash", "maglev"),
    ),
    "Delay": (("fixedDelay", "exponentialDelay"),),
    "Abort": (("httpStatus", "grpcStatus", "http2Error"),),
    "HTTPRedirect": (("port", "derivePort"),),
    "HTTPBody": (("string", "bytes"),),
}
"""Protobuf ``oneof`` groups: at most one field of each group may be set."""

ROOTS: Final[dict[tuple[str, str], str]] = {
    ("networking.istio.io", "VirtualService"): "VirtualService",
    ("networking.istio.io", "DestinationRule"): "DestinationRule",
    ("networking.istio.io", "Gateway"): "Gateway",
    ("networking.istio.io", "ServiceEntry"): "ServiceEntry",
    ("networking.istio.io", "Sidecar"): "Sidecar",
    ("networking.istio.io", "EnvoyFilter"): "EnvoyFilter",
    ("networking.istio.io", "WorkloadEntry"): "WorkloadEntry",
    ("security.istio.io", "PeerAuthentication"): "PeerAuthentication",
    ("", "Service"): "ServiceSpec",
}
"""(API group, kind) -> message describing its ``spec``."""
