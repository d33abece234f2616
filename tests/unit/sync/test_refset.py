"""``RefSet``: the refs a full read or a scan has seen, 16 bytes each, answering like a ``set``."""

from __future__ import annotations

import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from connector.sync.inbound.refset import RefSet

GUIDS = st.uuids().map(str)


@settings(max_examples=60, deadline=None)
@given(
    pages=st.lists(st.lists(GUIDS | st.sampled_from(["not-a-guid", ""]), max_size=20), max_size=8),
    probe=st.lists(GUIDS, max_size=10),
)
def test_membership_is_that_of_a_set_of_the_pages(pages: list[list[str]], probe: list[str]) -> None:
    seen = RefSet()
    plain: set[str] = set()
    for i, page in enumerate(pages):
        seen.add_all(page)
        plain.update(page)
        if i % 3 == 1:  # asking between pages is allowed
            assert all(ref in seen for ref in page)
    for ref in [*plain, *probe, "x" * 36]:
        assert (ref in seen) == (ref in plain)


def test_a_ref_costs_16_bytes() -> None:
    seen = RefSet()
    for _ in range(10):
        seen.add_all(str(uuid.uuid4()) for _ in range(1000))
    assert len(seen) == 10_000
    assert seen._hi.itemsize * len(seen._hi) + seen._lo.itemsize * len(seen._lo) == 160_000
