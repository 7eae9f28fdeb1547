"""Checks: references."""
