from django.urls import path

from . import views

app_name = "workflows"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<int:pk>/claim/", views.claim, name="claim"),
    path("<int:pk>/release/", views.release, name="release"),
    path("<int:pk>/check/", views.check, name="check"),
    path("<int:pk>/reevaluate/", views.reevaluate, name="reevaluate"),
]
