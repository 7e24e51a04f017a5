from django.urls import path

from . import views

app_name = "public"

urlpatterns = [
    path("", views.rounds, name="rounds"),
    path("leichte-sprache/", views.easy, name="easy"),
    path("impressum/", views.imprint, name="imprint"),
    path("datenschutz/", views.privacy, name="privacy"),
]
