"""The check catalogue: each check is one module with a stable code (see ``registry.ALL``)."""
