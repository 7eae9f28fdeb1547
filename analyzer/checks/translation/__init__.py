"""Checks: translation."""
