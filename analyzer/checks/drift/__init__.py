"""Checks: drift."""
