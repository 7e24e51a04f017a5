"""The README's screenshots (docs/img/*.png), taken from the demo data: ``make screenshots``.

``make screenshots`` loads the demo (``make demo``) and runs this script, which

1. copies the demo database (var/db.sqlite3) to a temporary file, so the demo stays as it is;
2. in the copy, lets the chair open the session of the year's first round whose submissions
   are closed (moved to today if it is set for another day) and three members of the steering
   group vote on its first item, so the chair's page shows a live session with counts (if that
   is not possible, the session page is taken as it is and the script says why);
3. serves the copy with ``manage.py runserver --noreload`` on a free port (DJANGO_DEBUG=1,
   mail to memory), logs in through the login form with Playwright and Debian's Chromium
   (/usr/bin/chromium) and takes four viewport screenshots:

   - ``provider-form.png``: the provider (traeger) edits the draft application, 390 px wide;
   - ``chair-session.png``: the chair (vorsitz) in the session, 390 px wide;
   - ``ledger-balances.png``: the finance office (kaemmerei), the balances of the year of the
     latest export (the demo's 2017, which has money bound and paid), 1,280 px;
   - ``payment-export.png``: the finance office, the latest payment export, 1,280 px;

4. stops the server and removes the copy. The pictures are viewport screenshots (not full
   pages) at device scale 1 and stay well below 400 KB each.

Usage: ``DJANGO_DEBUG=1 .venv/bin/python docs/screenshots.py`` (after ``make demo``).
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO_DB = ROOT / "var" / "db.sqlite3"
OUT = ROOT / "docs" / "img"
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "demo"  # noqa: S105 - the documented demo logins (README.md)
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 1280}
MAX_BYTES = 400_000
DRAFT_TITLE = "Sprachcafé für Eltern"
VOTES = [("lenkung1", "yes"), ("lenkung3", "yes"), ("lenkung4", "no")]


def stage():
    """In the copied database: open a session, cast votes; print the pages' ids as JSON."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fund_manager.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from fund_manager.applications.models import Application
    from fund_manager.payments.models import ExportBatch
    from fund_manager.rounds import services as rounds
    from fund_manager.rounds.models import FundingRound, RoundState
    from workflows import rounds as round_flow

    users = get_user_model().objects
    chair = users.get(username="vorsitz")
    today = timezone.localdate()
    this_year = FundingRound.objects.filter(fiscal_year__year=today.year).order_by("number")
    session = this_year.filter(state=RoundState.CLOSED).first() or this_year.first()
    note = ""
    try:
        if session.state == RoundState.CLOSED:
            if session.session_date != today:
                rounds.reschedule_session(
                    funding_round=session,
                    session_date=today,
                    reason="Sondersitzung für die Bildschirmfotos",
                    by=chair,
                )
                session.refresh_from_db()
            round_flow.open_session(funding_round=session, by=chair)
            first_item = session.items.order_by("position").first()
            for username, choice in VOTES:
                member = users.get(username=username)
                try:
                    rounds.cast_vote(item=first_item, choice=choice, by=member)
                except Exception as error:  # recused or absent: the others still vote
                    note += f" {username} did not vote ({error})."
        else:
            note = f"round {session} is {session.state}: the session page as it is."
    except Exception as error:
        note = f"the session could not be opened ({error}): the session page as it is." + note
    draft = Application.objects.filter(title=DRAFT_TITLE, state="draft").first()
    draft = draft or Application.objects.filter(state="draft").order_by("pk").first()
    export = ExportBatch.objects.order_by("-pk").first()
    print(
        json.dumps(
            {
                "draft": draft.pk if draft else None,
                "round": session.pk,
                # The year of the export: the year with movements to show (the demo's 2017).
                "fiscal_year": export.fiscal_year_id if export else session.fiscal_year_id,
                "export": export.pk if export else None,
                "note": note.strip(),
            }
        )
    )


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(port, server, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"runserver ended with {server.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"runserver did not answer on port {port} within {seconds} s")


def _shoot(browser, base, user, viewport, path, name, scroll_to=None):
    context = browser.new_context(viewport=viewport, locale="de-DE", device_scale_factor=1)
    page = context.new_page()
    try:
        page.goto(f"{base}/accounts/login/")
        page.fill("#id_username", user)
        page.fill("#id_password", PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()
        response = page.goto(base + path)
        if response is None or response.status != 200:
            raise SystemExit(f"{user} {path}: HTTP {response.status if response else '?'}")
        if scroll_to and page.locator(scroll_to).count():
            # "instant": KERN scrolls smoothly, and the picture would catch it half way.
            page.locator(scroll_to).first.evaluate(
                "e => e.scrollIntoView({block: 'center', behavior: 'instant'})"
            )
        target = OUT / f"{name}.png"
        page.screenshot(path=str(target))
    finally:
        context.close()
    size = target.stat().st_size
    print(f"{target.relative_to(ROOT)}: {user} {path} at {viewport['width']} px, {size // 1000} KB")
    if size > MAX_BYTES:
        raise SystemExit(f"{target} is {size} bytes, more than {MAX_BYTES}")


def main():
    from playwright.sync_api import sync_playwright

    if not DEMO_DB.exists():
        raise SystemExit(f"{DEMO_DB} is missing: run make demo first")
    OUT.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="fm-screenshots-"))
    database = workdir / "db.sqlite3"
    shutil.copyfile(DEMO_DB, database)
    env = {
        **os.environ,
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{database}",
        "DJANGO_EMAIL_URL": "locmem",
        "PYTHONPATH": str(ROOT),
    }
    server = None
    try:
        staged = subprocess.run(  # noqa: S603 (this script and manage.py, no outside input)
            [sys.executable, __file__, "stage"], env=env, cwd=ROOT, capture_output=True, text=True
        )
        if staged.returncode:
            raise SystemExit(f"Staging the demo copy failed:\n{staged.stderr}")
        ids = json.loads(staged.stdout.strip().splitlines()[-1])
        if ids["note"]:
            print(f"Chair's session: {ids['note']}")
        port = _free_port()
        server = subprocess.Popen(  # noqa: S603 (this project's manage.py, no outside input)
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_for(port, server)
        base = f"http://127.0.0.1:{port}"
        draft = f"/applications/{ids['draft']}/edit/" if ids["draft"] else "/applications/new/"
        export = f"/payments/exports/{ids['export']}/" if ids["export"] else "/payments/exports/"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            try:
                _shoot(browser, base, "traeger", PHONE, draft, "provider-form")
                _shoot(
                    browser,
                    base,
                    "vorsitz",
                    PHONE,
                    f"/rounds/{ids['round']}/session/",
                    "chair-session",
                    scroll_to="main .agenda-item .tally",
                )
                _shoot(
                    browser,
                    base,
                    "kaemmerei",
                    DESK,
                    f"/ledger/{ids['fiscal_year']}/",
                    "ledger-balances",
                )
                _shoot(browser, base, "kaemmerei", DESK, export, "payment-export")
            finally:
                browser.close()
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    stage() if sys.argv[1:] == ["stage"] else main()
