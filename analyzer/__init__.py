"""meshlens: explain what Istio did to Envoy.

The data flows one way: ``load`` (read captures and Istio YAML) -> ``model`` (normalised, indexed)
-> attribution -> checks -> ``report``.
"""

__version__ = "0.1.0"

__all__ = ["__version__", "build_kind"]


def build_kind() -> str:
    """``compiled`` when the hot modules run as mypyc extensions (``pip install .``, see
    setup.py), else ``pure Python`` (an editable install, or a build without a C compiler)."""
    import importlib.util  # only ``--version`` asks: no start-up cost

    spec = importlib.util.find_spec("analyzer.expect.vhosts")
    origin = spec.origin if spec is not None else None
    return "compiled" if origin is not None and not origin.endswith(".py") else "pure Python"
