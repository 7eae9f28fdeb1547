"""Checks: inputs."""
