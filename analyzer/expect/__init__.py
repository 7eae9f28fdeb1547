"""Predict what the Istio YAML should produce on one proxy, the way istiod would translate it.

The modules follow istiod's own steps (shared notes ``docs/istio-translation.md``, sections 1-6):

- ``protocol``: port protocol from name / appProtocol; ``common``: exportTo, creation order,
  durations, host matching, proxy version;
- ``services``: the Services and ServiceEntries visible to the proxy (exportTo, Sidecar egress);
  ``rules``: DestinationRule precedence and merging; ``gateways``: the Gateway servers merged
  for a gateway proxy and the ones istiod skips; ``scope``: which VirtualServices apply here and
  why the others are no-ops;
- ``routes``: expected vhosts and routes per VirtualService rule × match; ``route_diff`` and
  ``route_policy``: a route compared with its rule; ``vhosts``: drifted and missing routes;
- ``clusters``: a DestinationRule policy in Envoy terms; ``cluster_set``: expected clusters,
  missing ones, policy drift; ``listeners``: expected listeners and chains;
- ``references``: DestinationRules/ServiceEntries that do nothing here, unresolved destinations;
- ``prediction``: the per-proxy bundle the ML02xx/ML03xx checks share.

Plain functions and dataclasses; the checks stay thin. Predictions are conservative: whatever
depends on facts the inputs do not give (a gateway Service that was not supplied, labels an old
proxy does not carry, a creation order the YAML does not record) is not compared.
"""
