"""The standard OData interface (v3, 1C dialect) of the mock base."""
