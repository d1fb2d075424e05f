"""`check_files`, the body of `newsroom check FILE...`: output and exit codes 0/1/2."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.checks import CHECKS, CheckContext, check_files

CORPUS = Path(__file__).parents[1] / "articles"
CLEAN = str(CORPUS / "clean_chip_export_rules.md")
CUT_OFF = str(CORPUS / "dek_cut_off.md")
NO_HEADLINE = str(CORPUS / "no_headline.md")
LONG = str(CORPUS / "clean_long_feature.md")


def run(paths: list[str], **kwargs: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = check_files(paths, out=out, err=err, **kwargs)  # type: ignore[arg-type]
    return code, out.getvalue(), err.getvalue()


def test_clean_file_exits_0_and_lists_every_check_with_its_severity() -> None:
    code, out, err = run([CLEAN])
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == f"{CLEAN}: 10/10 required checks pass, no warnings"
    assert len(lines) == 1 + 12  # without --sources the grounding checks do not run
    for check in CHECKS[:12]:
        [line] = [x for x in lines if f"  {check.name} " in x]
        assert line.split()[:2] == ["ok", check.severity.value]


def test_failing_required_check_exits_1_and_names_the_finding() -> None:
    code, out, err = run([CUT_OFF])
    assert (code, err) == (1, "")
    assert f"{CUT_OFF}: 9/10 required checks pass, no warnings" in out
    [line] = [x for x in out.splitlines() if "dek_complete" in x]
    assert line.split()[:3] == ["FAIL", "required", "dek_complete"]
    assert "highlights the fragil" in line


def test_missing_file_exits_2_with_a_clear_message_and_checks_the_rest(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.md")
    code, out, err = run([missing, CLEAN])
    assert code == 2
    assert err.startswith(f"{missing}: cannot read:")
    assert f"{CLEAN}: 10/10" in out


def test_unparseable_file_exits_2_even_when_another_file_fails() -> None:
    misnumbered = str(CORPUS / "sources_misnumbered.md")
    code, out, err = run([CUT_OFF, misnumbered])
    assert code == 2
    assert f"{misnumbered}: cannot parse: sources are numbered" in err
    assert "FAIL" in out


def test_an_article_without_headline_fails_the_headline_check_and_runs_the_rest() -> None:
    code, out, err = run([NO_HEADLINE])
    assert (code, err) == (1, "")
    assert f"{NO_HEADLINE}: 9/10 required checks pass, no warnings" in out
    [line] = [x for x in out.splitlines() if "  headline " in x]
    assert line.split()[:3] == ["FAIL", "required", "headline"] and "no headline" in line


def test_undecodable_file_exits_2(tmp_path: Path) -> None:
    binary = tmp_path / "image.md"
    binary.write_bytes(b"\xff\xfe\x00\x81")
    code, _, err = run([str(binary)])
    assert code == 2 and "cannot read" in err


def test_any_failing_file_makes_the_run_fail() -> None:
    assert run([CLEAN, CUT_OFF, CLEAN])[0] == 1


def test_warnings_alone_exit_0() -> None:
    code, out, _ = run([LONG], ctx_for_path=lambda path: CheckContext(length="brief"))
    assert code == 0
    assert "1 warning" in out
    [line] = [x for x in out.splitlines() if "word_count" in x]
    assert line.split()[:3] == ["WARN", "recommended", "word_count"]


@pytest.mark.parametrize(("ai_drafted", "code"), [(True, 1), (False, 0)])
def test_context_is_chosen_per_path(ai_drafted: bool, code: int) -> None:
    one_source = str(CORPUS / "clean_human_one_source.md")
    seen: list[str] = []

    def ctx_for_path(path: str) -> CheckContext:
        seen.append(path)
        return CheckContext(ai_drafted=ai_drafted)

    assert run([one_source], ctx_for_path=ctx_for_path)[0] == code
    assert seen == [one_source]


GROUNDING = CORPUS / "grounding"


def test_sources_dir_adds_the_grounding_checks() -> None:
    clean = GROUNDING / "clean_port_strike"
    code, out, err = run([str(clean / "article.md")], sources=str(clean / "sources"), year=2026)
    assert (code, err) == (0, "")
    assert "13/13 required checks pass, no warnings" in out
    for name in ("quotes", "figures", "cited_text", "names"):
        assert any(line.split()[2:3] == [name] for line in out.splitlines())
    bad = GROUNDING / "figure_changed_by_one_digit"
    code, out, _ = run([str(bad / "article.md")], sources=str(bad / "sources"), year=2026)
    [line] = [x for x in out.splitlines() if "  figures " in x]
    assert code == 1 and line.split()[:3] == ["FAIL", "required", "figures"] and "'4900'" in line


def test_a_missing_sources_dir_or_unreadable_source_exits_2(tmp_path: Path) -> None:
    article = str(GROUNDING / "clean_port_strike" / "article.md")
    code, _, err = run([article], sources=str(tmp_path / "nope"))
    assert code == 2 and "cannot read sources" in err
    (tmp_path / "1.txt").write_bytes(b"\xff\xfe\x00\x81")
    code, _, err = run([article], sources=str(tmp_path))
    assert code == 2 and "1.txt: cannot read" in err
