"""The kit as Designer dumps are shaped: well-formed XML, one object per file named as its file,
unique UUIDs, Configuration.xml listing exactly the objects present, adopted objects marked; every
module parses with the BSL grammar; every handler the metadata names exists and is exported.

Each check is also shown failing on a broken copy of the dump, so a passing run means something.
"""

from __future__ import annotations

import re
import runpy
import shutil
import sys
from pathlib import Path

import pytest

from tests.kit import dump
from tests.kit.dump import EXTENSION, KIT, NS, TESTS

EXEMPT = frozenset({"TimeTracking"})  # the web service keeps the name of its WSDL (service, portType…)


def test_the_committed_dump_is_what_the_generator_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["generate.py", "--check"])
    with pytest.raises(SystemExit) as done:
        runpy.run_path(str(KIT / "generate.py"), run_name="__main__")
    assert done.value.code == 0, "run `make kit` and commit the dump"


@pytest.mark.parametrize("root", [EXTENSION, TESTS], ids=["extension", "tests"])
def test_the_dump_is_shaped_as_designer_writes_it(root: Path) -> None:
    assert dump.shape_problems(root, EXEMPT) == []


def test_the_extension_is_an_addon_with_the_tt_prefix_mapped_by_name() -> None:
    config = dump.parse_xml(EXTENSION / "Configuration.xml")
    props = config.find("md:Configuration/md:Properties", NS)
    assert props is not None
    assert props.findtext("md:Name", namespaces=NS) == "ТТ_ТрекерВремени"
    assert props.findtext("md:NamePrefix", namespaces=NS) == "ТТ_"
    assert props.findtext("md:ConfigurationExtensionPurpose", namespaces=NS) == "AddOn"
    # The customer's object ids are unknown to us: adopted objects must be matched by name.
    assert props.findtext("md:KeepMappingToExtendedConfigurationObjectsByIDs", namespaces=NS) == "false"


def test_the_objects_the_issue_names_are_all_there() -> None:
    objs = dump.kit_objects()
    for key in [
        ("Document", "УчетВремени"),
        ("Document", "CRM_Интерес"),
        ("Catalog", "ЗадачиПроектов"),
        ("Constant", "ТТ_ДатаЗапретаИзменения"),
        ("ExchangePlan", "ТТ_ОбменСТрекером"),
        ("InformationRegister", "ТТ_ТрудозатратыТрекера"),
        ("WebService", "TimeTracking"),
        ("Role", "ТТ_ИнтеграцияСТрекером"),
    ]:
        assert key in objs, key
    for key in [("Document", "УчетВремени"), ("Document", "CRM_Интерес"), ("Catalog", "ЗадачиПроектов")]:
        assert objs[key].adopted, key
    timesheet = objs[("Document", "УчетВремени")]
    rows = {a.name: a.types for a in timesheet.tables["Операции"]}
    assert set(rows["ТТ_Объект"]) == {
        "cfg:DocumentRef.CRM_Интерес",
        "cfg:CatalogRef.Проекты",
        "cfg:CatalogRef.ЗадачиПроектов",
    }
    assert rows["ТТ_КлючСтроки"] == ("xs:string",)
    assert rows["ТТ_Доказательства"] == ("xs:string",)
    for ref in ("CatalogRef.Проекты", "CatalogRef.ЗадачиПроектов", "DocumentRef.CRM_Интерес"):
        kind, name = ref.split(".")
        assert (kind.removesuffix("Ref"), name) in objs, f"{ref} is used in a type but not in the extension"


def _copy(tmp_path: Path) -> Path:
    copy = tmp_path / "extension"
    shutil.copytree(EXTENSION, copy)
    return copy


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8-sig")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")


@pytest.mark.parametrize(
    ("breakage", "complaint"),
    [
        ("name", "Properties/Name is 'ТТ_Другое', the file is 'ТТ_Подпись'"),
        ("uuid", "also used in"),
        ("unlisted", "Configuration.xml does not list CommonModule.ТТ_Лишний"),
        ("listed", "Configuration.xml lists Constant.ТТ_Нет"),
        ("xml", "not well-formed XML"),
        ("adopted", "adopted without ExtendedConfigurationObject"),
        ("prefix", "lacks the extension's name prefix"),
        ("root", "root must be MetaDataObject"),
    ],
)
def test_each_shape_check_catches_its_breakage(tmp_path: Path, breakage: str, complaint: str) -> None:
    root = _copy(tmp_path)
    modules = root / "CommonModules"
    if breakage == "name":
        _edit(modules / "ТТ_Подпись.xml", "<Name>ТТ_Подпись</Name>", "<Name>ТТ_Другое</Name>")
    elif breakage == "uuid":
        first = dump.parse_xml(modules / "ТТ_Подпись.xml")[0].get("uuid")
        second = dump.parse_xml(modules / "ТТ_Уведомления.xml")[0].get("uuid")
        _edit(modules / "ТТ_Уведомления.xml", str(second), str(first))
    elif breakage == "unlisted":
        text = (modules / "ТТ_Подпись.xml").read_text("utf-8-sig").replace("ТТ_Подпись", "ТТ_Лишний")
        uid = dump.parse_xml(modules / "ТТ_Подпись.xml")[0].get("uuid")
        (modules / "ТТ_Лишний.xml").write_text(text.replace(str(uid), "0f0e0d0c-0b0a-4908-8706-050403020100"))
    elif breakage == "listed":
        _edit(
            root / "Configuration.xml",
            "</ChildObjects>",
            "\t<Constant>ТТ_Нет</Constant>\n\t\t</ChildObjects>",
        )
    elif breakage == "xml":
        _edit(root / "Roles" / "ТТ_ИнтеграцияСТрекером.xml", "</Role>", "</Rol>")
    elif breakage == "adopted":
        path = root / "Catalogs" / "Проекты.xml"
        text = path.read_text("utf-8-sig")
        start = text.index("<ExtendedConfigurationObject>")
        end = text.index("</ExtendedConfigurationObject>") + len("</ExtendedConfigurationObject>")
        path.write_text(text[:start] + text[end:], "utf-8")
    elif breakage == "prefix":
        path = modules / "ТТ_Подпись.xml"
        path.rename(modules / "Подпись.xml")
        _edit(modules / "Подпись.xml", "<Name>ТТ_Подпись</Name>", "<Name>Подпись</Name>")
        _edit(root / "Configuration.xml", "<CommonModule>ТТ_Подпись<", "<CommonModule>Подпись<")
    elif breakage == "root":
        _edit(modules / "ТТ_Подпись.xml", 'xmlns="http://v8.1c.ru/8.3/MDClasses"', 'xmlns="urn:other"')
    problems = dump.shape_problems(root, EXEMPT)
    assert any(complaint in p for p in problems), problems


# ---- BSL ------------------------------------------------------------------------------------------------


def _modules() -> list[Path]:
    return sorted(KIT.rglob("*.bsl"))


def test_every_metadata_module_has_its_bsl_file() -> None:
    for root in (EXTENSION, TESTS):
        for path in sorted((root / "CommonModules").glob("*.xml")):
            assert dump.module_path(root, path.stem).exists(), f"{path.stem} has no Ext/Module.bsl"
    assert (EXTENSION / "WebServices" / "TimeTracking" / "Ext" / "Module.bsl").exists()
    assert len(_modules()) >= 10


@pytest.mark.parametrize("path", _modules(), ids=lambda p: f"{p.parent.parent.name}")
def test_every_module_parses_with_the_bsl_grammar(path: Path) -> None:
    assert dump.syntax_errors(path) == []


def test_a_syntax_error_is_found_with_its_line(tmp_path: Path) -> None:
    broken = tmp_path / "Module.bsl"
    broken.write_text("Процедура А()\n\tБ = 1;\n\tВ = ;\n\tГ = 2;\nКонецПроцедуры\n", "utf-8")
    errors = dump.syntax_errors(broken)
    assert errors and f"{broken}:3:" in errors[0]


def _handlers(root: Path) -> list[tuple[str, str, str]]:
    """(where, module, procedure) of each handler that metadata names as CommonModule.<M>.<P>."""
    out = []
    for kind, prop in (("EventSubscription", "Handler"), ("ScheduledJob", "MethodName")):
        for o in dump.objects(root):
            if o.kind == kind:
                _, module, procedure = o.text(prop).split(".")
                out.append((f"{kind}.{o.name}", module, procedure))
    return out


def handler_problems(root: Path) -> list[str]:
    problems = []
    for where, module, procedure in _handlers(root):
        path = dump.module_path(root, module)
        if not path.exists():
            problems.append(f"{where}: module {module} does not exist")
            continue
        found = dump.methods(path).get(procedure.lower())
        if found is None:
            problems.append(f"{where}: {module}.{procedure} does not exist")
        elif not found.exported:
            problems.append(f"{where}: {module}.{procedure} is not exported (Экспорт)")
    service = dump.read_object(root / "WebServices" / "TimeTracking.xml", "WebService")
    service_methods = dump.methods(root / "WebServices" / "TimeTracking" / "Ext" / "Module.bsl")
    for op in service.root.iterfind(".//md:Operation", NS):
        proc = op.findtext("md:Properties/md:ProcedureName", namespaces=NS) or ""
        if proc.lower() not in service_methods:
            problems.append(
                f"WebService.TimeTracking.{op.findtext('md:Properties/md:Name', namespaces=NS)}: "
                f"{proc} missing"
            )
    return problems


def test_every_handler_named_in_metadata_exists_and_is_exported() -> None:
    assert _handlers(EXTENSION), "the kit names no handlers"
    assert handler_problems(EXTENSION) == []


def test_a_missing_or_private_handler_is_named(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _edit(
        dump.module_path(root, "ТТ_Уведомления"),
        "Процедура ОтправитьУведомления() Экспорт",
        "Процедура ОтправитьУведомления()",
    )
    _edit(
        root / "WebServices" / "TimeTracking" / "Ext" / "Module.bsl",
        "Функция ПоместитьТрудозатраты(",
        "Функция Поместить(",
    )
    problems = handler_problems(root)
    assert (
        "ScheduledJob.ТТ_ОтправкаУведомлений: ТТ_Уведомления.ОтправитьУведомления is not exported (Экспорт)"
        in problems
    )
    assert any("ПоместитьТрудозатраты missing" in p for p in problems)


def cross_module_problems(roots: list[Path]) -> list[str]:
    """Calls ``ТТ_X.Y(…)`` whose module or exported method does not exist in the kit."""
    modules = {
        p.stem: dump.methods(dump.module_path(root, p.stem))
        for root in roots
        for p in (root / "CommonModules").glob("*.xml")
    }
    problems = []
    for root in roots:
        for path in sorted(root.rglob("*.bsl")):
            for module, method, line in dump.module_calls(path):
                found = modules.get(module, {}).get(method.lower())
                if module not in modules:
                    problems.append(f"{path.relative_to(root.parent)}:{line}: no common module {module}")
                elif found is None or not found.exported:
                    problems.append(
                        f"{path.relative_to(root.parent)}:{line}: {module}.{method} is not an exported method"
                    )
    return problems


def test_calls_between_modules_name_exported_methods() -> None:
    calls = [c for p in _modules() for c in dump.module_calls(p)]
    assert len(calls) > 20
    assert cross_module_problems([EXTENSION, TESTS]) == []


def test_a_call_to_a_private_method_is_named(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _edit(
        dump.module_path(root, "ТТ_Подпись"),
        "Функция HMACSHA256(Знач Ключ, Знач Данные) Экспорт",
        "Функция HMACSHA256(Знач Ключ, Знач Данные)",
    )
    problems = cross_module_problems([root, TESTS])
    assert any("ТТ_Подпись.HMACSHA256 is not an exported method" in p for p in problems), problems


def _balanced(text: str, start: int) -> str:
    """The text from the ``(`` at ``start`` to its matching ``)``."""
    depth = 0
    for i in range(start, len(text)):
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        if depth == 0:
            return text[start : i + 1]
    return text[start:]


def secret_leaks(roots: list[Path]) -> list[str]:
    """Lines where the signing secret could reach the event log or the queue register."""
    leaks = []
    for root in roots:
        for path in sorted(root.rglob("*.bsl")):
            text = path.read_text("utf-8-sig")
            for call in re.finditer(r"ЗаписьЖурналаРегистрации\(", text):
                if re.search(r"Секрет|Подключение", _balanced(text, call.end() - 1)):
                    leaks.append(f"{path.name}:{text[: call.start()].count(chr(10)) + 1}: event log")
            for i, line in enumerate(text.splitlines(), 1):
                if re.search(r"\.ПоследняяОшибка\s*=.*(Секрет|Подключение)", line):
                    leaks.append(f"{path.name}:{i}: queue row")
    return leaks


def test_the_secret_never_reaches_the_event_log_or_the_queue(tmp_path: Path) -> None:
    assert secret_leaks([EXTENSION]) == []
    root = _copy(tmp_path)
    _edit(
        dump.module_path(root, "ТТ_Уведомления"),
        "Отправлено, Отложено, Остановлено)",
        "Отправлено, Отложено, Подключение.Секрет)",
    )
    assert secret_leaks([root]) and secret_leaks([root])[0].startswith("Module.bsl:")
