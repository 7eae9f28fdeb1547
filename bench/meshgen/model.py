"""Mesh model (small: a few objects per service; the big JSON is built lazily from it)."""

from __future__ import annotations

import base64
import hashlib
import random
from dataclasses import dataclass, field

from meshgen.shape import (
    MAX_REPLICAS,
    P_DESTINATION_RULE,
    P_DR_SUBSETS,
    P_SERVICE_ENTRY,
    P_THREE_SUBSETS,
    P_VIRTUAL_SERVICE,
    P_WEIGHTED_ROUTE,
    PORT_MIX,
    SERVICES_PER_NAMESPACE,
    TRUST_DOMAIN,
    WORDS,
    ZONES,
)


@dataclass(frozen=True)
class Port:
    name: str
    number: int
    target: int
    protocol: str  # HTTP, GRPC or TCP

    @property
    def is_http(self) -> bool:
        return self.protocol in ("HTTP", "GRPC")


@dataclass(frozen=True)
class Pod:
    name: str
    ip: str
    version: str
    deployment: str
    zone: str


@dataclass(frozen=True)
class TrafficPolicy:
    lb: str  # LEAST_REQUEST, ROUND_ROBIN or RANDOM
    max_connections: int
    connect_timeout: str
    http1_max_pending: int
    http2_max_requests: int
    max_requests_per_connection: int
    max_retries: int
    idle_timeout: str
    consecutive_5xx: int
    interval: str
    base_ejection_time: str
    max_ejection_percent: int


@dataclass(frozen=True)
class Destination:
    subset: str | None
    weight: int


@dataclass(frozen=True)
class HttpRule:
    name: str
    match: str  # header, prefix, exact or none
    value: str
    destinations: tuple[Destination, ...]
    timeout: str | None
    retries: tuple[int, str, str] | None  # attempts, perTryTimeout, retryOn


@dataclass
class Service:
    index: int
    name: str
    namespace: str
    cluster_ip: str
    ports: tuple[Port, ...]
    versions: tuple[str, ...]
    replicas: tuple[int, ...]
    pods: list[Pod] = field(default_factory=list)
    dr_name: str | None = None
    subsets: tuple[str, ...] = ()
    policy: TrafficPolicy | None = None
    vs_name: str | None = None
    vs_host: str = ""
    vs_port: int | None = None
    rules: tuple[HttpRule, ...] = ()

    @property
    def fqdn(self) -> str:
        return f"{self.name}.{self.namespace}.svc.{TRUST_DOMAIN}"

    def pods_for(self, subset: str | None) -> list[Pod]:
        if subset is None:
            return self.pods
        return [p for p in self.pods if p.version == subset]


@dataclass(frozen=True)
class External:
    index: int
    name: str
    namespace: str
    host: str
    addresses: tuple[str, ...]


@dataclass
class Mesh:
    n: int
    seed: int
    namespaces: list[str]
    services: list[Service]
    externals: list[External]
    proxy: Service
    proxy_pod: Pod
    cert_chain: str
    root_cert: str


def _ip(base: int, offset: int) -> str:
    v = base + offset
    return f"{v >> 24 & 255}.{v >> 16 & 255}.{v >> 8 & 255}.{v & 255}"


_SVC_CIDR = (10 << 24) | (96 << 16)  # 10.96.0.0/12
_POD_CIDR = (10 << 24) | (244 << 16)  # 10.244.0.0/14
_EXT_CIDR = (203 << 24) | (0 << 16) | (113 << 8)  # 203.0.113.0/24 (documentation range)


def _choose_ports(rng: random.Random) -> tuple[Port, ...]:
    r = rng.random()
    web = Port("http-web", 8080, 8080, "HTTP")
    grpc = Port("grpc-api", 9090, 9090, "GRPC")
    if r < PORT_MIX[0]:
        return (web,)
    if r < PORT_MIX[1]:
        return (web, grpc)
    if r < PORT_MIX[2]:
        return (grpc,)
    tcp = rng.choice(
        (
            Port("tcp-postgres", 5432, 5432, "TCP"),
            Port("tcp-redis", 6379, 6379, "TCP"),
            Port("tcp-amqp", 5672, 5672, "TCP"),
        )
    )
    if r < PORT_MIX[3]:
        return (web, tcp)
    return (tcp,)


def _choose_policy(rng: random.Random) -> TrafficPolicy:
    return TrafficPolicy(
        lb=rng.choice(("LEAST_REQUEST", "ROUND_ROBIN", "RANDOM")),
        max_connections=rng.choice((64, 100, 256, 1024)),
        connect_timeout=rng.choice(("1s", "3s", "5s")),
        http1_max_pending=rng.choice((32, 64, 128)),
        http2_max_requests=rng.choice((500, 1000, 2000)),
        max_requests_per_connection=rng.choice((10, 100, 1000)),
        max_retries=rng.choice((2, 3, 5)),
        idle_timeout=rng.choice(("30s", "60s", "300s")),
        consecutive_5xx=rng.choice((3, 5, 7)),
        interval=rng.choice(("5s", "10s", "30s")),
        base_ejection_time=rng.choice(("15s", "30s", "60s")),
        max_ejection_percent=rng.choice((10, 25, 50)),
    )


def _choose_rules(rng: random.Random, svc: Service) -> tuple[HttpRule, ...]:
    subsets: tuple[str | None, ...] = svc.subsets or (None,)
    count = rng.randint(2, 4)
    rules: list[HttpRule] = []

    def dests() -> tuple[Destination, ...]:
        if len(subsets) > 1 and rng.random() < P_WEIGHTED_ROUTE:
            first = rng.choice((50, 75, 80, 90, 95))
            return (Destination(subsets[0], first), Destination(subsets[1], 100 - first))
        return (Destination(rng.choice(subsets), 100),)

    def retries() -> tuple[int, str, str] | None:
        if rng.random() < 0.5:
            return (
                rng.choice((2, 3, 5)),
                rng.choice(("1s", "2s", "500ms")),
                rng.choice(
                    ("5xx,connect-failure", "gateway-error,reset", "retriable-status-codes")
                ),
            )
        return None

    def timeout() -> str | None:
        return rng.choice((None, "2s", "5s", "15s"))

    kinds = ["header", "prefix", "exact"]
    rng.shuffle(kinds)
    for k in range(count - 1):
        kind = kinds[k % len(kinds)]
        if kind == "header":
            value = rng.choice(("x-canary", "x-beta-user", "x-debug"))
            name = "canary"
        elif kind == "prefix":
            value = rng.choice(("/api/v1", "/api/v2", "/static", "/admin"))
            name = value.strip("/").replace("/", "-")
        else:
            value = rng.choice(("/healthz", "/login", "/metrics-proxy"))
            name = value.strip("/")
        rules.append(HttpRule(f"{name}-{k}", kind, value, dests(), timeout(), retries()))
    rules.append(HttpRule("default", "none", "", dests(), timeout(), retries()))
    return tuple(rules)


def build_mesh(n: int, seed: int) -> Mesh:
    """Build the (small) mesh model deterministically from ``n`` and ``seed``."""
    if n < 1:
        raise ValueError("N must be >= 1")
    rng = random.Random(seed)
    namespaces = [
        f"ns-{k}" for k in range((n + SERVICES_PER_NAMESPACE - 1) // SERVICES_PER_NAMESPACE)
    ]
    services: list[Service] = []
    externals: list[External] = []
    pod_counter = 2
    for i in range(n):
        ns = namespaces[i // SERVICES_PER_NAMESPACE]
        name = f"{WORDS[i % len(WORDS)]}-{i}"
        ports = _choose_ports(rng)
        if i == 0:  # the proxy's own service: give it an inbound HTTP and gRPC port
            ports = (Port("http-web", 8080, 8080, "HTTP"), Port("grpc-api", 9090, 9090, "GRPC"))
        has_dr = rng.random() < P_DESTINATION_RULE
        subsets: tuple[str, ...] = ()
        if has_dr and rng.random() < P_DR_SUBSETS:
            subsets = ("v1", "v2", "v3")[: 3 if rng.random() < P_THREE_SUBSETS else 2]
        if subsets:
            versions = subsets
            replicas = tuple(1 for _ in subsets)
        else:
            versions = ("v1",)
            replicas = (rng.randint(1, MAX_REPLICAS),)
        svc = Service(
            index=i,
            name=name,
            namespace=ns,
            cluster_ip=_ip(_SVC_CIDR, 10 + i),
            ports=ports,
            versions=versions,
            replicas=replicas,
        )
        for version, count in zip(versions, replicas, strict=True):
            deployment = f"{name}-{version}"
            for r in range(count):
                suffix = hashlib.blake2s(
                    f"{seed}/{deployment}/{r}".encode(), digest_size=8
                ).hexdigest()
                svc.pods.append(
                    Pod(
                        name=f"{deployment}-{suffix[:10]}-{suffix[10:15]}",
                        ip=_ip(_POD_CIDR, pod_counter),
                        version=version,
                        deployment=deployment,
                        zone=ZONES[pod_counter % len(ZONES)],
                    )
                )
                pod_counter += 1
        if has_dr:
            svc.dr_name = name
            svc.subsets = subsets
            svc.policy = _choose_policy(rng)
        if rng.random() < P_VIRTUAL_SERVICE and any(p.is_http for p in ports):
            svc.vs_name = name
            svc.vs_host = svc.fqdn if rng.random() < 0.5 else name
            first_http = next(p for p in ports if p.is_http)
            svc.vs_port = first_http.number if len(ports) > 1 else None
            svc.rules = _choose_rules(rng, svc)
        if rng.random() < P_SERVICE_ENTRY:
            addrs = tuple(_ip(_EXT_CIDR, 1 + rng.randrange(250)) for _ in range(rng.randint(1, 3)))
            externals.append(
                External(
                    index=i,
                    name=f"ext-{name}",
                    namespace=ns,
                    host=f"api.{WORDS[(i * 7) % len(WORDS)]}-{i}.partner.example.com",
                    addresses=addrs,
                )
            )
        services.append(svc)
    proxy = services[0]
    cert = _fake_pem(rng, 1100)
    root = _fake_pem(rng, 800)
    return Mesh(n, seed, namespaces, services, externals, proxy, proxy.pods[0], cert, root)


def _fake_pem(rng: random.Random, size: int) -> str:
    body = base64.b64encode(rng.randbytes(size)).decode()
    lines = [body[k : k + 64] for k in range(0, len(body), 64)]
    pem = "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"
    return base64.b64encode(pem.encode()).decode()
