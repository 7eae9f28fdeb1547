"""meshlens: explain what Istio did to Envoy.

The data flows one way: ``load`` (read captures and Istio YAML) -> ``model`` (normalised, indexed)
-> attribution -> checks -> ``report``.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
