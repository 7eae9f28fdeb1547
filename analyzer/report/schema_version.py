"""The JSON report's schema version, apart from the pydantic models that define the schema.

Writing a report needs only this number; importing pydantic to get it would cost the command
a tenth of a second at startup.
"""

SCHEMA_VERSION = 1
