from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0004_grant_changes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="application",
            index=models.Index(fields=["-submitted_at", "-id"], name="application_submitted_desc"),
        ),
    ]
