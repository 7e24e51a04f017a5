from django.db import migrations


def forwards(apps, schema_editor):
    from fund_manager.core.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_roles"), ("ledger", "0002_append_only_trigger")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
