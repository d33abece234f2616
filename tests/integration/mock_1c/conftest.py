"""Each test module of the mock gets its own seeded server (module scope)."""

from tests.support.mock1c import mock_1c  # noqa: F401
