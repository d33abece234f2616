"""Task diff: exactly one decision per object; unchanged content writes nothing."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connector.sync.core.model import Assignee, LinkState, StaticCategory, TaskSpec
from connector.sync.core.task_diff import content_hash, diff_task, static_task_specs

ANN = Assignee("user-ann", "ann@example.com", "Анна")
BOB = Assignee("user-bob", "bob@example.com", "Борис")
SPEC = TaskSpec(
    mapping="service",
    code="CRM-000512",
    title="[CRM-000512] Не печатается счёт",
    category="service",
    customer="ООО Ромашка",
    assignees=(ANN, BOB),
    planned_minutes=120,
    onec_type="Document_CRM_Интерес",
    onec_ref="0b5e6a1c-0000-0000-0000-000000000512",
)


def link_for(spec: TaskSpec, status: str = "open") -> LinkState:
    return LinkState(spec.code, content_hash(spec), "AAAAAAA=", status)  # type: ignore[arg-type]


def test_content_hash_ignores_assignee_order() -> None:
    assert content_hash(SPEC) == content_hash(replace(SPEC, assignees=(BOB, ANN)))


@pytest.mark.parametrize(
    "change",
    [
        {"title": "[CRM-000512] Другое"},
        {"assignees": (ANN,)},
        {"planned_minutes": 180},
        {"planned_minutes": None},
        {"description": "подробности"},
        {"customer": "ООО Лютик"},
    ],
)
def test_content_hash_changes_with_what_the_tracker_shows(change: dict[str, object]) -> None:
    assert content_hash(replace(SPEC, **change)) != content_hash(SPEC)  # type: ignore[arg-type]


def test_new_open_object_is_created() -> None:
    action = diff_task(SPEC, None)
    assert (action.kind, action.code, action.spec) == ("create", "CRM-000512", SPEC)


def test_object_closed_before_it_was_ever_synced_gets_no_task() -> None:
    action = diff_task(replace(SPEC, status="closed"), None)
    assert (action.kind, action.reason) == ("unchanged", "closed_without_task")


def test_same_content_is_unchanged() -> None:
    assert diff_task(SPEC, link_for(SPEC)).kind == "unchanged"


def test_changed_title_or_assignees_is_an_update() -> None:
    assert diff_task(replace(SPEC, title="Новое"), link_for(SPEC)).kind == "update"
    assert diff_task(replace(SPEC, assignees=(BOB,)), link_for(SPEC)).kind == "update"


def test_finished_object_closes_its_task_and_reopening_reopens_it() -> None:
    closed = replace(SPEC, status="closed")
    assert diff_task(closed, link_for(SPEC)).kind == "close"
    assert diff_task(closed, link_for(closed, "closed")).kind == "unchanged"
    assert diff_task(SPEC, link_for(closed, "closed")).kind == "reopen"


def test_deleted_object_closes_an_open_task_once() -> None:
    action = diff_task(None, link_for(SPEC))
    assert (action.kind, action.code, action.spec, action.reason) == (
        "close",
        SPEC.code,
        None,
        "object_deleted",
    )
    assert diff_task(None, link_for(SPEC, "closed")).kind == "unchanged"


def test_nonsense_calls_are_refused() -> None:
    with pytest.raises(ValueError, match="needs a spec"):
        diff_task(None, None)
    with pytest.raises(ValueError, match="compared with spec"):
        diff_task(SPEC, LinkState("CRM-999", "x"))


def test_static_sales_tasks_are_open_and_assigned_to_every_manager() -> None:
    specs = static_task_specs(
        "sales",
        [StaticCategory("SALES-COMM", "Коммерческая деятельность"), StaticCategory("SALES-BREAK", "Перерыв")],
        [BOB, ANN, ANN],
    )
    assert [(s.code, s.category, s.status, s.onec_type) for s in specs] == [
        ("SALES-COMM", "sales", "open", None),
        ("SALES-BREAK", "sales", "open", None),
    ]
    assert specs[0].assignees == (ANN, BOB)
    assert diff_task(specs[0], link_for(specs[0])).kind == "unchanged"


def test_static_category_codes_must_be_unique_and_present() -> None:
    with pytest.raises(ValueError, match="listed twice"):
        static_task_specs("sales", [StaticCategory("A", "a"), StaticCategory("A", "b")], [])
    with pytest.raises(ValueError, match="empty code"):
        static_task_specs("sales", [StaticCategory("", "a")], [])


people = st.lists(
    st.builds(Assignee, st.text(max_size=5), st.emails(), st.text(max_size=5)), max_size=5, unique=True
)


@given(a=people, seed=st.randoms())
def test_content_hash_is_stable_under_any_assignee_permutation(a: list[Assignee], seed: object) -> None:
    shuffled = list(a)
    seed.shuffle(shuffled)  # type: ignore[attr-defined]
    assert content_hash(replace(SPEC, assignees=tuple(a))) == content_hash(
        replace(SPEC, assignees=tuple(shuffled))
    )


def _asdict_hash(spec: TaskSpec) -> str:
    """The original definition of the hash (``dataclasses.asdict``): hashes already stored in
    links were computed this way, so the fast version must give the same bytes."""
    import hashlib
    import json
    from dataclasses import asdict

    data = asdict(spec)
    data.pop("progress")  # added later, kept out of the hash: stored hashes predate it
    data["assignees"] = sorted({tuple(a) for a in spec.assignees})
    canonical = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@given(
    a=st.lists(st.builds(Assignee, st.text(max_size=5), st.emails(), st.text(max_size=5)), max_size=5),
    title=st.text(max_size=20),
    description=st.text(max_size=40),
    customer=st.none() | st.text(max_size=8),
    planned=st.none() | st.integers(min_value=-(2**40), max_value=2**40),
    status=st.sampled_from(["open", "closed"]),
    parent=st.none() | st.text(max_size=8),
)
def test_content_hash_equals_the_stored_asdict_definition(
    a: list[Assignee],
    title: str,
    description: str,
    customer: str | None,
    planned: int | None,
    status: str,
    parent: str | None,
) -> None:
    spec = TaskSpec(
        mapping="m",
        code="C-1",
        title=title,
        description=description,
        customer=customer,
        assignees=tuple(a),
        planned_minutes=planned,
        status=status,  # type: ignore[arg-type]
        onec_ref="r",
        parent_code=parent,
    )
    assert content_hash(spec) == _asdict_hash(spec)


def test_progress_is_stored_but_never_changes_the_content_hash() -> None:
    base = TaskSpec(mapping="m", code="C-1", title="t", onec_ref="r")
    moved = TaskSpec(mapping="m", code="C-1", title="t", onec_ref="r", progress=(("percent_done", 40.0),))
    assert content_hash(base) == content_hash(moved)
    assert content_hash(base) != content_hash(TaskSpec(mapping="m", code="C-1", title="t2", onec_ref="r"))
