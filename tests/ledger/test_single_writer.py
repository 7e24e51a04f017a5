"""Every money movement in the code base goes through post_transfer.

The production source (fund_manager/, policies/, workflows/; not migrations, not tests) is read
twice: as text for the telltale spellings, and as a syntax tree for the same writes spelled
differently. Only fund_manager/ledger/posting.py may create Transfer rows or write
Account.balance; only ledger.services.set_budget writes the annual budget.
"""

import ast
import io
import re
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("fund_manager", "policies", "workflows")
MONEY_WRITER = "fund_manager/ledger/posting.py"
BUDGET_WRITER = "fund_manager/ledger/services.py"

# Spellings of a write, looked for in the code with comments and strings removed.
CODE_PATTERNS = {
    "Transfer(": re.compile(r"(?<!class )(?<![\w.])Transfer\s*\("),
    "Transfer.objects.create": re.compile(
        r"\bTransfer\s*\.\s*objects\s*\.\s*(?:create|get_or_create|update_or_create|bulk_create)\b"
    ),
    "bulk_create": re.compile(r"\b(?:Transfer|Account)\b[^\n]*\.\s*bulk_create\b"),
    ".balance =": re.compile(r"\.balance\s*(?:[-+*/]?=)(?!=)"),
    "balance=F(": re.compile(r"\bbalance\s*=\s*(?:models\s*\.\s*)?F\s*\("),
    "update(balance": re.compile(r"\.\s*update\s*\(\s*balance\b"),
}
# Raw SQL that writes the ledger tables, looked for in string literals.
RAW_SQL = re.compile(
    r"(?i)\b(?:insert\s+into|delete\s+from|update)\s+[\"`]?ledger_(?:transfer|account)\b"
)
WRITE_METHODS = {"create", "get_or_create", "update_or_create", "bulk_create", "bulk_update"}
# Transfer's manager and its reverse relations (fiscal_year.transfers, account.outgoing, ...).
TRANSFER_MANAGERS = ("Transfer", "transfers", "outgoing", "incoming")


def production_sources():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if {"migrations", "tests"} & set(relative.parts) or path.name.startswith("test_"):
                continue
            yield relative.as_posix(), path.read_text(encoding="utf-8")


_LITERALS = {tokenize.STRING, getattr(tokenize, "FSTRING_MIDDLE", tokenize.STRING)}


def split_source(source):
    """(the source with comments and string literals blanked out, the string literals).
    Blanking keeps every line and column where it was."""
    lines = [list(line) for line in source.splitlines(keepends=True)]
    strings = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in _LITERALS | {tokenize.COMMENT}:
            continue
        if token.type != tokenize.COMMENT:
            strings.append(token.string)
        (first_row, first_col), (last_row, last_col) = token.start, token.end
        for row in range(first_row, last_row + 1):
            line = lines[row - 1]
            start = first_col if row == first_row else 0
            end = last_col if row == last_row else len(line)
            for index in range(start, end):
                if line[index] != "\n":
                    line[index] = " "
    return "".join("".join(line) for line in lines), strings


def _mentions(node, *names):
    text = ast.unparse(node)
    return any(re.search(rf"\b{name}\b", text) for name in names)


def _is_f(node):
    return isinstance(node, ast.Call) and ast.unparse(node.func) in ("F", "models.F")


def _touches_balance(call):
    """A ``balance=`` keyword or a "balance" field name anywhere in the call's arguments."""
    for argument in [*call.args, *(k.value for k in call.keywords)]:
        for node in ast.walk(argument):
            if isinstance(node, ast.Constant) and node.value == "balance":
                return True
            if isinstance(node, ast.keyword) and node.arg == "balance":
                return True
    return any(k.arg == "balance" for k in call.keywords)


def _assigned(target):
    """The names and attributes an assignment target writes (through tuples and starred)."""
    if isinstance(target, ast.Tuple | ast.List):
        for element in target.elts:
            yield from _assigned(element)
    elif isinstance(target, ast.Starred):
        yield from _assigned(target.value)
    else:
        yield target


def tree_writes(source):
    """Writes found in the syntax tree: [(line, what)]."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            receiver = func.value if isinstance(func, ast.Attribute) else None
            if name == "Transfer":
                found.append((node.lineno, "Transfer("))
            if receiver is not None and name in WRITE_METHODS:
                if _mentions(receiver, *TRANSFER_MANAGERS):
                    found.append((node.lineno, f"Transfer rows through .{name}()"))
                elif _mentions(receiver, "Account") and name in ("bulk_create", "bulk_update"):
                    found.append((node.lineno, f"Account.{name}()"))
            if (
                receiver is not None
                and name in WRITE_METHODS | {"update"}
                and _touches_balance(node)
            ):
                found.append((node.lineno, f".{name}() with balance"))
            if name == "setattr" and len(node.args) >= 2:
                attribute = node.args[1]
                if isinstance(attribute, ast.Constant) and attribute.value == "balance":
                    found.append((node.lineno, 'setattr(..., "balance", ...)'))
            for keyword in node.keywords:
                if keyword.arg == "balance" and _is_f(keyword.value):
                    found.append((node.lineno, "balance=F(...)"))
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            for element in _assigned(target):
                if isinstance(element, ast.Attribute) and element.attr == "balance":
                    found.append((node.lineno, ".balance ="))
    return found


def money_writes(source):
    """Every way ``source`` writes Transfer rows or Account.balance: [(line, what)]."""
    code, strings = split_source(source)
    found = set(tree_writes(source))
    for what, pattern in CODE_PATTERNS.items():
        for match in pattern.finditer(code):
            found.add((code.count("\n", 0, match.start()) + 1, what))
    for literal in strings:
        if RAW_SQL.search(literal):
            found.add((0, f"raw SQL {literal[:60]}"))
    return sorted(found)


def budget_writes(source):
    """Writes of FiscalYear.budget: attribute assignment, update(budget=...), create(...)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in [t for each in targets for t in _assigned(each)]:
                if isinstance(target, ast.Attribute) and target.attr == "budget":
                    found.append((node.lineno, ".budget ="))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            keywords = {k.arg for k in node.keywords if k.arg}
            receiver = node.func.value
            if node.func.attr == "update" and "budget" in keywords:
                found.append((node.lineno, "update(budget=...)"))
            elif (
                node.func.attr in WRITE_METHODS
                and _mentions(receiver, "FiscalYear")
                and ("budget" in keywords or "budget" in ast.unparse(node))
            ):
                found.append((node.lineno, f"FiscalYear.{node.func.attr} with budget"))
    return found


def test_only_post_transfer_creates_transfers_or_writes_balances():
    offenders = {
        path: writes
        for path, source in production_sources()
        if path != MONEY_WRITER and (writes := money_writes(source))
    }

    assert offenders == {}, (
        f"Money may only move through fund_manager.ledger.posting.post_transfer: {offenders}"
    )


def test_the_scan_sees_the_one_writer_and_the_whole_code_base():
    sources = dict(production_sources())

    # Without these the test above would pass for the wrong reason.
    assert MONEY_WRITER in sources
    assert {"fund_manager/ledger/services.py", "fund_manager/demo/seeder.py"} <= set(sources)
    assert any(path.startswith("policies/") for path in sources)
    assert not any("/migrations/" in path for path in sources)
    found = {what for _line, what in money_writes(sources[MONEY_WRITER])}
    assert {"Transfer(", ".balance ="} <= found


def test_only_set_budget_writes_the_annual_budget():
    offenders = {
        path: writes for path, source in production_sources() if (writes := budget_writes(source))
    }

    assert set(offenders) <= {BUDGET_WRITER}, offenders
    # ... and there, only in set_budget.
    services = ast.parse(dict(production_sources())[BUDGET_WRITER])
    set_budget = next(
        n for n in services.body if isinstance(n, ast.FunctionDef) and n.name == "set_budget"
    )
    inside = {line for line, _what in budget_writes(ast.unparse(set_budget))}
    assert len(offenders.get(BUDGET_WRITER, [])) == len(inside) == 1


# --- the scanner itself -----------------------------------------------------------------------
PLANTED = {
    "construct": "t = Transfer(amount=x)\nt.save()",
    "qualified construct": "from fund_manager.ledger import models\nmodels.Transfer(amount=x)",
    "create": "Transfer.objects.create(amount=x)",
    "get_or_create": "Transfer.objects.get_or_create(idempotency_key=k)",
    "bulk_create transfers": "Transfer.objects.bulk_create(rows)",
    "bulk_create accounts": "Account.objects.bulk_create([Account(balance=1)])",
    "assign balance": "account.balance = Decimal('1.00')",
    "augment balance": "account.balance += amount",
    "tuple assign": "a.balance, b.balance = x, y",
    "setattr": "setattr(account, 'balance', x)",
    "F expression": "Account.objects.filter(pk=1).update(balance=F('balance') + 1)",
    "update": "accounts.update(balance=0)",
    "create with balance": "Account.objects.create(fiscal_year=y, kind=k, balance=x)",
    "raw insert": "cursor.execute('INSERT INTO ledger_transfer (amount) VALUES (%s)', [x])",
    "raw update": 'cursor.execute("UPDATE ledger_account SET balance = 0")',
    "raw delete": "connection.cursor().execute('delete from \"ledger_transfer\"')",
    "related manager": "year.transfers.create(amount=x)",
    "reverse relation": "account.outgoing.get_or_create(idempotency_key=k)",
    "bulk_update": "Account.objects.bulk_update(accounts, ['balance'])",
    "defaults": "Account.objects.update_or_create(pk=1, defaults={'balance': x})",
    "nested construct": "Account.objects.bulk_create([Account(kind=k, balance=x)])",
}
HARMLESS = {
    "read": "if account.balance < amount:\n    pass",
    "compare": "ok = account.balance == other.balance",
    "class": "class Transfer(models.Model):\n    pass",
    "queryset class": "class TransferQuerySet(models.QuerySet):\n    pass",
    "comment": "# Transfer.objects.create(...) is forbidden\nx = 1",
    "docstring": 'def f():\n    """Never call Transfer(...) or set .balance = x."""',
    "other model": "CostItem.objects.bulk_create(items)",
    "filter": "Account.objects.filter(balance__gt=0)",
    "dataclass field": "Balances(budget=b, unallocated=u.balance)",
    "filter then update": "Account.objects.filter(balance__gt=0).update(kind=k)",
    "index": "totals[account.balance] = 1",
    "f-string": 'label = f"{account.balance} EUR"',
}


@pytest.mark.parametrize("snippet", list(PLANTED))
def test_the_scanner_finds_a_planted_write(snippet):
    assert money_writes(PLANTED[snippet]), PLANTED[snippet]


@pytest.mark.parametrize("snippet", list(HARMLESS))
def test_the_scanner_leaves_reads_alone(snippet):
    assert money_writes(HARMLESS[snippet]) == [], HARMLESS[snippet]


@pytest.mark.parametrize(
    ("snippet", "writes"),
    [
        ("year.budget = amount", True),
        ("FiscalYear.objects.filter(pk=1).update(budget=x)", True),
        ("FiscalYear.objects.create(fund=f, year=2025, budget=x)", True),
        ("FiscalYear.objects.get_or_create(fund=f, year=2025, defaults={'budget': x})", True),
        ("FiscalYear.objects.get_or_create(fund=f, year=2025)", False),
        ("if year.budget != amount:\n    pass", False),
        ("budget = MoneyField()", False),
    ],
)
def test_the_budget_scanner(snippet, writes):
    assert bool(budget_writes(snippet)) is writes
