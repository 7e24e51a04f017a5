"""The base rates (Basiszinssatz, § 247 BGB) from 2013 to 2026 as published by the Deutsche
Bundesbank on 1 January and 1 July of each year (also the unchanged ones, so the table shows
that each half year was checked). New rates are added by finance in the admin
(Settlement › Base rates); this migration only fills the history."""

import datetime
from decimal import Decimal

from django.db import migrations

SOURCE = (
    "Deutsche Bundesbank: Bekanntgabe des Basiszinssatzes nach § 247 Abs. 2 BGB im "
    "Bundesanzeiger, zum 1. Januar und 1. Juli (www.bundesbank.de, Basiszinssatz)"
)
RECORDED_ON = datetime.date(2026, 12, 6)

RATES = [
    ("2013-01-01", "-0.13"),
    ("2013-07-01", "-0.38"),
    ("2014-01-01", "-0.63"),
    ("2014-07-01", "-0.73"),
    ("2015-01-01", "-0.83"),
    ("2015-07-01", "-0.83"),
    ("2016-01-01", "-0.83"),
    ("2016-07-01", "-0.88"),
    ("2017-01-01", "-0.88"),
    ("2017-07-01", "-0.88"),
    ("2018-01-01", "-0.88"),
    ("2018-07-01", "-0.88"),
    ("2019-01-01", "-0.88"),
    ("2019-07-01", "-0.88"),
    ("2020-01-01", "-0.88"),
    ("2020-07-01", "-0.88"),
    ("2021-01-01", "-0.88"),
    ("2021-07-01", "-0.88"),
    ("2022-01-01", "-0.88"),
    ("2022-07-01", "-0.88"),
    ("2023-01-01", "1.62"),
    ("2023-07-01", "3.12"),
    ("2024-01-01", "3.62"),
    ("2024-07-01", "3.37"),
    ("2025-01-01", "2.27"),
    ("2025-07-01", "1.27"),
    ("2026-01-01", "1.27"),
]


def add_rates(apps, schema_editor):
    BaseRate = apps.get_model("settlement", "BaseRate")
    for valid_from, rate in RATES:
        BaseRate.objects.get_or_create(
            valid_from=datetime.date.fromisoformat(valid_from),
            defaults={"rate": Decimal(rate), "source": SOURCE, "recorded_on": RECORDED_ON},
        )


def remove_rates(apps, schema_editor):
    BaseRate = apps.get_model("settlement", "BaseRate")
    BaseRate.objects.filter(
        valid_from__in=[datetime.date.fromisoformat(valid_from) for valid_from, _ in RATES],
        source=SOURCE,
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("settlement", "0001_initial")]

    operations = [migrations.RunPython(add_rates, remove_rates)]
