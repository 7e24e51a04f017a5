"""policies.guidelines: versioned files, validated at load time, pinned per application."""

import dataclasses
import datetime
import re
import shutil
from decimal import Decimal

import pytest
import yaml

from policies import guidelines
from policies.findings import FAIL, PASS
from policies.guidelines import GuidelineError, NoGuidelineInForce, in_force, load
from policies.rules import evaluate
from tests.policies.test_rules import ELIGIBLE

D = datetime.date
FUND = "integration-herne"
V1_FILE = guidelines.DIRECTORY / "v1.yaml"
DELETE = object()


def v1_data() -> dict:
    return yaml.safe_load(V1_FILE.read_text(encoding="utf-8"))


def publish(directory, data, *, name=None):
    path = directory / (name or f"v{data['version']}.yaml")
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def change(data: dict, where: str, value) -> dict:
    """Set (or DELETE) ``where`` in ``data``: "valid_from", "rules.<id>.parameters.<name>"."""
    parts = where.split(".")
    if parts[0] == "rules" and len(parts) > 1:
        target = next(item for item in data["rules"] if item["id"] == parts[1])
        parts = parts[2:]
    else:
        target = data
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    if value is DELETE:
        del target[parts[-1]]
    else:
        target[parts[-1]] = value
    return data


# --- version 1 as published -------------------------------------------------------------------
def test_v1_is_the_herne_guideline_from_2017_on():
    v1 = load("1")

    assert (v1.version, v1.fund, v1.valid_from, v1.valid_until) == ("1", FUND, D(2017, 1, 1), None)
    assert "Ratsvorlage 2017/0429" in v1.source
    assert in_force(FUND, D(2017, 1, 1)) == v1
    assert "1" in guidelines.available()


def test_v1_marks_which_rules_come_from_the_seed_the_law_or_an_assumption():
    origins = {item.id: item.origin for item in load("1").rules}

    assert origins == {
        "applicant_kind": "seed",
        "action_field": "seed",
        "target_groups": "seed",
        "project_kind": "seed",
        "not_otherwise_financeable": "seed",
        "new_approach": "seed",
        "not_started": "law",
        "amount_range": "assumption",
        "cost_plan_consistent": "law",
        "own_contribution": "assumption",
        "duration": "assumption",
        "end_date_limit": "assumption",
        "no_double_funding": "law",
    }
    assert all(item.basis and item.description_de for item in load("1").rules)


def test_v1_parameters_are_typed():
    v1 = load("1")

    assert v1.rule("amount_range").parameters == {"max_amount": Decimal("10000.00")}
    assert v1.rule("own_contribution").parameters == {"min_own_share_percent": Decimal("0")}
    assert v1.rule("duration").parameters == {"max_duration_months": 12}
    assert v1.rule("end_date_limit").parameters == {"months_after_fiscal_year_end": 6}
    assert v1.rule("applicant_kind").parameters == {
        "allowed_kinds": ("provider", "initiative", "municipal")
    }
    assert v1.rule("project_kind").parameters == {"allowed_kinds": ("model", "short_term")}


def test_loading_is_cached():
    assert load("1") is load("1")


def test_a_loaded_guideline_cannot_be_changed():
    v1 = load("1")

    with pytest.raises(dataclasses.FrozenInstanceError):
        v1.version = "2"
    with pytest.raises(TypeError):
        v1.rule("amount_range").parameters["max_amount"] = Decimal("1.00")


def test_no_guideline_before_2017_or_for_another_fund():
    with pytest.raises(NoGuidelineInForce, match="2016-12-31"):
        in_force(FUND, D(2016, 12, 31))
    with pytest.raises(NoGuidelineInForce, match="other-fund"):
        in_force("other-fund", D(2031, 1, 1))


# --- validation at load time ------------------------------------------------------------------
INVALID = [
    # (id, where, value, error)
    ("no-valid_from", "valid_from", DELETE, "the file: missing valid_from"),
    ("valid_from-quoted", "valid_from", "2017-01-01", "valid_from must be a date"),
    (
        "valid_from-timestamp",
        "valid_from",
        datetime.datetime(2017, 1, 1, 8),
        "valid_from must be a date",
    ),
    (
        "valid_until-before-valid_from",
        "valid_until",
        D(2016, 12, 31),
        "valid_until lies before valid_from",
    ),
    ("version-unquoted", "version", 1, "version must be a quoted string"),
    ("version-not-the-file-name", "version", "2", "matching the file name"),
    ("fund-empty", "fund", "", "fund must be a non-empty text"),
    ("unknown-top-level-key", "owner", "Stadt Herne", "the file: unknown owner"),
    ("no-rules", "rules", [], "rules must be a non-empty list"),
    ("rule-not-a-mapping", "rules", ["amount_range"], "every rule must be a mapping"),
    ("unknown-rule", "rules.amount_range.id", "max_age", "unknown rule 'max_age'"),
    (
        "missing-parameter",
        "rules.amount_range.parameters.max_amount",
        DELETE,
        "parameters: missing max_amount",
    ),
    (
        "missing-parameters",
        "rules.amount_range.parameters",
        DELETE,
        "parameters: missing max_amount",
    ),
    (
        "unknown-parameter",
        "rules.amount_range.parameters.max_ammount",
        "5000.00",
        "unknown max_ammount",
    ),
    ("money-as-float", "rules.amount_range.parameters.max_amount", 10000.0, "as a quoted string"),
    ("money-not-a-number", "rules.amount_range.parameters.max_amount", "viel", "is not an amount"),
    (
        "money-negative",
        "rules.amount_range.parameters.max_amount",
        "-1.00",
        "a non-negative amount",
    ),
    (
        "money-fractions-of-a-cent",
        "rules.amount_range.parameters.max_amount",
        "10.001",
        "has more than two decimals",
    ),
    (
        "money-infinite",
        "rules.amount_range.parameters.max_amount",
        "Infinity",
        "a non-negative amount",
    ),
    (
        "money-too-large",
        "rules.amount_range.parameters.max_amount",
        "1E+100",
        "a non-negative amount up to",
    ),
    (
        "percent-unquoted",
        "rules.own_contribution.parameters.min_own_share_percent",
        10,
        "as a quoted string",
    ),
    (
        "percent-over-100",
        "rules.own_contribution.parameters.min_own_share_percent",
        "101",
        "between 0 and 100",
    ),
    (
        "months-quoted",
        "rules.duration.parameters.max_duration_months",
        "12",
        "a whole number of months",
    ),
    (
        "months-negative",
        "rules.duration.parameters.max_duration_months",
        -1,
        "a whole number of months",
    ),
    (
        "months-boolean",
        "rules.duration.parameters.max_duration_months",
        True,
        "a whole number of months",
    ),
    (
        "kinds-unknown",
        "rules.applicant_kind.parameters.allowed_kinds",
        ["provider", "company"],
        "['company']",
    ),
    (
        "kinds-empty",
        "rules.applicant_kind.parameters.allowed_kinds",
        [],
        "must be a non-empty list",
    ),
    (
        "kinds-twice",
        "rules.project_kind.parameters.allowed_kinds",
        ["model", "model"],
        "lists a code twice",
    ),
    (
        "parameters-for-a-rule-without",
        "rules.action_field.parameters",
        {"max": 1},
        "parameters: unknown max",
    ),
    (
        "parameters-not-a-mapping",
        "rules.action_field.parameters",
        ["max"],
        "parameters must be a mapping",
    ),
    (
        "origin-unknown",
        "rules.not_started.origin",
        "rumour",
        "origin must be one of seed, law, assumption",
    ),
    ("basis-blank", "rules.not_started.basis", " ", "basis must be a non-empty text"),
    ("no-description", "rules.not_started.description_de", DELETE, "missing description_de"),
    ("unknown-rule-key", "rules.not_started.remark", "…", "unknown remark"),
]


@pytest.mark.parametrize(
    ("where", "value", "error"), [pytest.param(*row, id=name) for name, *row in INVALID]
)
def test_an_invalid_file_is_refused_when_loaded(tmp_path, where, value, error):
    publish(tmp_path, change(v1_data(), where, value), name="v1.yaml")

    with pytest.raises(GuidelineError, match=re.escape(error)):
        load("1", directory=tmp_path)


def test_the_error_names_the_file_the_rule_and_the_parameter(tmp_path):
    path = publish(tmp_path, change(v1_data(), "rules.amount_range.parameters.max_amount", 10000.0))

    with pytest.raises(GuidelineError) as error:
        load("1", directory=tmp_path)

    assert str(error.value) == (
        f"{path}: rule 'amount_range': parameter 'max_amount': write the amount as a quoted "
        'string, e.g. "10000.00" (got 10000.0).'
    )


def test_a_rule_listed_twice_is_refused(tmp_path):
    data = v1_data()
    data["rules"].append(dict(data["rules"][0]))
    publish(tmp_path, data)

    with pytest.raises(GuidelineError, match="rule 'applicant_kind' is listed twice"):
        load("1", directory=tmp_path)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("- just a list\n", "expected a mapping"),
        ("version: [unclosed\n", "not valid YAML"),
    ],
    ids=["not-a-mapping", "not-yaml"],
)
def test_a_file_that_is_no_guideline_is_refused(tmp_path, text, error):
    (tmp_path / "v1.yaml").write_text(text, encoding="utf-8")

    with pytest.raises(GuidelineError, match=error):
        load("1", directory=tmp_path)


@pytest.mark.parametrize(
    ("version", "error"),
    [("3", "version 3 does not exist"), ("../v1", "is not a guideline version")],
    ids=["missing", "not-a-version"],
)
def test_an_unknown_version_is_refused(tmp_path, version, error):
    with pytest.raises(GuidelineError, match=re.escape(error)):
        load(version, directory=tmp_path)


def test_a_badly_named_file_is_refused(tmp_path):
    (tmp_path / "vnext.yaml").write_text("{}", encoding="utf-8")

    with pytest.raises(GuidelineError, match=re.escape("the file name must be v<number>.yaml")):
        guidelines.available(tmp_path)


def test_versions_are_listed_in_numeric_order(tmp_path):
    for version in ("10", "2", "1", "1.1"):
        publish(tmp_path, change(v1_data(), "version", version))

    assert guidelines.available(tmp_path) == ("1", "1.1", "2", "10")


# --- version pinning --------------------------------------------------------------------------
def publish_v2(directory):
    data = v1_data()
    change(data, "version", "2")
    change(data, "title", "Förderrichtlinie Verfügungsfonds Integration, Fassung 2")
    change(data, "valid_from", D(2032, 1, 1))
    change(data, "rules.amount_range.parameters.max_amount", "5000.00")
    return publish(directory, data)


def test_a_new_version_never_changes_a_past_check(tmp_path):
    shutil.copy(V1_FILE, tmp_path / "v1.yaml")
    application = dataclasses.replace(
        ELIGIBLE,
        total_costs=Decimal("7700.00"),
        requested_amount=Decimal("7500.00"),
        submitted_on=D(2031, 5, 15),
    )
    # Submitted in 2031: v1 is in force and pinned on the application.
    pinned = in_force(FUND, application.submitted_on, directory=tmp_path).version
    checked = [finding.to_dict() for finding in evaluate(application, load(pinned, tmp_path))]
    amount_check = next(item for item in checked if item["rule"] == "amount_range")
    assert pinned == "1"
    assert amount_check["outcome"] == PASS
    assert "10.000,00\u00a0€" in amount_check["message"]

    publish_v2(tmp_path)

    # From 2032 on, new applications are checked under v2 ...
    assert in_force(FUND, D(2032, 1, 1), directory=tmp_path).version == "2"
    assert in_force(FUND, D(2031, 12, 31), directory=tmp_path).version == "1"
    # ... and the same facts fail v2's lower maximum,
    under_v2 = {f.rule: f for f in evaluate(application, load("2", tmp_path))}
    assert under_v2["amount_range"].outcome == FAIL
    assert "5.000,00\u00a0€" in under_v2["amount_range"].message
    # but the application pinned to v1 keeps its v1 findings, word for word.
    rechecked = [finding.to_dict() for finding in evaluate(application, load(pinned, tmp_path))]
    assert rechecked == checked
    assert load("1", tmp_path).digest != load("2", tmp_path).digest


def test_the_newest_version_wins_where_two_overlap(tmp_path):
    shutil.copy(V1_FILE, tmp_path / "v1.yaml")
    publish_v2(tmp_path)

    # v1 has no end date: on 2032-06-01 both are valid; the one that took effect last applies.
    assert load("1", tmp_path).is_valid_on(D(2032, 6, 1))
    assert in_force(FUND, D(2032, 6, 1), directory=str(tmp_path)).version == "2"
