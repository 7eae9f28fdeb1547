"""Attribute every Envoy resource to the Istio object(s) that produced it."""
