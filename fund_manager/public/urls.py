from django.urls import path

from . import views, views_opendata

app_name = "public"

urlpatterns = [
    path("", views.rounds, name="rounds"),
    path("leichte-sprache/", views.easy, name="easy"),
    path("impressum/", views.imprint, name="imprint"),
    path("datenschutz/", views.privacy, name="privacy"),
    # Open data (issue 13): the funded projects without personal data.
    path("offene-daten/", views_opendata.page, name="opendata"),
    path("offene-daten/projekte.csv", views_opendata.projects_csv, name="opendata_csv"),
    path("offene-daten/projekte.json", views_opendata.projects_json, name="opendata_json"),
    path("offene-daten/dcat.jsonld", views_opendata.dcat, name="opendata_dcat"),
]
