"""Checks: attribution."""
