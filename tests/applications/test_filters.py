"""The staff list's filter: its selects are written without a template per option (issue 10)
and give the same HTML as Django's Select (up to attribute order and whitespace)."""

import pytest
from django import forms
from django.test.html import parse_html

from fund_manager.applications.filters import PlainSelect, StaffApplicationFilter
from fund_manager.applications.models import Application
from tests.factories import OrganisationFactory

CHOICES = [("", "---------"), ("1", "Verein <A> & B"), ("2", 'Zweite "Org"')]


@pytest.mark.parametrize("value", [None, "", "1", "2", "9"])
def test_plain_select_writes_what_django_select_writes(value):
    attrs = {"id": "id_organisation", "aria-invalid": "true"}
    django = forms.Select(choices=CHOICES).render("organisation", value, attrs=attrs)
    plain = PlainSelect(choices=CHOICES).render("organisation", value, attrs=attrs)

    assert parse_html(plain) == parse_html(django)


@pytest.mark.django_db
def test_the_organisation_filter_renders_every_organisation_once():
    organisations = [OrganisationFactory() for _ in range(5)]
    chosen = organisations[2]
    filterset = StaffApplicationFilter(
        {"organisation": str(chosen.pk)}, queryset=Application.objects.all()
    )

    html = str(filterset.form["organisation"])

    for organisation in organisations:
        assert html.count(f'value="{organisation.pk}"') == 1
    assert f'<option value="{chosen.pk}" selected>' in html
