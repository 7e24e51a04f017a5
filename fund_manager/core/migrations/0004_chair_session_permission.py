"""The chair role gets ``rounds.chair_session``: the chair's tasks of the RoundFlow."""

from django.db import migrations


def forwards(apps, schema_editor):
    from fund_manager.core.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_ledger_roles"),
        ("rounds", "0002_chairing_minutes_notices"),
        ("workflows", "0002_roundprocess"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
