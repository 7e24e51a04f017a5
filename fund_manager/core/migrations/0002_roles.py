"""Create the role groups with their permissions (fund_manager.core.roles.ROLE_PERMISSIONS).

A later issue that adds permissions adds a migration that calls ``sync_roles`` again.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    from fund_manager.core.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("funds", "0001_initial"),
        ("organisations", "0001_initial"),
        ("applications", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
