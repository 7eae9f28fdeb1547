"""Turn istioctl's lowerCamelCase proto JSON into the snake_case the admin endpoint prints.

``istioctl proxy-config ... -o json|yaml`` re-marshals Envoy's protos with lowerCamelCase names
(``virtualHosts``, ``filterMetadata``, ``prefixRewrite``). The rest of meshlens reads one spelling,
so camelCase inputs are converted once, up front. Two things must stay verbatim:
the contents of ``google.protobuf.Struct`` values (Istio's metadata, ``node.metadata``) and the
keys of proto maps (``typed_per_filter_config``'s filter names, ``filter_metadata``'s namespaces).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

# Map fields: their keys are data, not field names.
_MAP_FIELDS = frozenset(
    {
        "filter_metadata",
        "typed_filter_metadata",
        "typed_per_filter_config",
        "per_filter_config",
        "typed_extension_protocol_options",
        "extension_protocol_options",
        "clusters_metadata",
    }
)
# Struct-valued fields (or maps of Struct): everything beneath is user data.
_STRUCT_FIELDS = frozenset(
    {"metadata_struct", "struct_value", "filter_metadata", "per_filter_config"}
)
# Fields whose snake_case name has an underscore before a digit: protobuf's camelCase drops it.
_IRREGULAR = {
    "consecutive5xx": "consecutive_5xx",
    "enforcingConsecutive5xx": "enforcing_consecutive_5xx",
}
# Every field name _convert has a rule for; all others convert the plain way.
_SPECIAL_FIELDS = _MAP_FIELDS | {"metadata", "value", "match", "config", "labels"}
_CONTAINERS = (dict, list)
_CAMEL_KEY = re.compile(r"^[a-z][a-z0-9]*[A-Z]")
_UPPER = re.compile(r"([A-Z])")


# A dump spells a few hundred field names millions of times: convert each spelling once.
@lru_cache(maxsize=4096)
def snake_key(key: str) -> str:
    """``routeConfigName`` -> ``route_config_name``; keys without capitals are returned as is."""
    irregular = _IRREGULAR.get(key)
    if irregular is not None:
        return irregular
    if key[:1] == "@" or not _CAMEL_KEY.match(key):
        return key
    return _UPPER.sub(r"_\1", key).lower()


def looks_camel(value: Any, budget: int = 5000) -> bool:
    """True when field names in the first ``budget`` keys are lowerCamelCase."""
    stack = [value]
    seen = 0
    while stack and seen < budget:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(reversed(node[:50]))
            continue
        if not isinstance(node, dict):
            continue
        for key, child in node.items():
            seen += 1
            if _CAMEL_KEY.match(key):
                return True
            if "_" in key and key.islower():
                return False
            if snake_key(key) in _STRUCT_FIELDS or key in ("metadata", "filterMetadata"):
                continue
            if isinstance(child, dict | list):
                stack.append(child)
    return False


def to_snake(value: Any) -> Any:
    """Return ``value`` with proto field names converted to snake_case (a new structure)."""
    return _convert(value, is_struct=False)


def _convert(value: Any, is_struct: bool) -> Any:
    if isinstance(value, list):
        return [_convert(item, is_struct) for item in value]
    if not isinstance(value, dict) or is_struct:
        return value
    out: dict[str, Any] = {}
    type_url = value.get("@type", "")
    for key, child in value.items():
        name = snake_key(key)
        if name not in _SPECIAL_FIELDS:
            # The common case; a scalar needs no call to find that it has nothing to convert.
            out[name] = _convert(child, False) if isinstance(child, _CONTAINERS) else child
        elif name in _MAP_FIELDS:
            child_is_struct = name in _STRUCT_FIELDS
            if isinstance(child, dict):
                out[name] = {k: _convert(v, child_is_struct) for k, v in child.items()}
            else:
                out[name] = child
        elif (name == "metadata" and _is_struct_metadata(value)) or (
            name == "value"
            and isinstance(type_url, str)
            and type_url.endswith(("protobuf.Struct", "TypedStruct"))
        ):
            out[name] = child
        elif name == "match" and ("transport_socket" in value or "transportSocket" in value):
            out[name] = child  # TransportSocketMatch.match is a Struct ({"tlsMode": "istio"})
        elif name in ("config", "labels"):
            # v2 filters carry a Struct ``config``; labels are a string map.
            out[name] = child
        else:
            out[name] = _convert(child, False)
    return out


def _is_struct_metadata(parent: dict[str, Any]) -> bool:
    # node.metadata is a Struct; every other ``metadata`` in Envoy's API is a Metadata message
    # (with filter_metadata) handled by the map rule above.
    return "id" in parent and ("cluster" in parent or "locality" in parent)
