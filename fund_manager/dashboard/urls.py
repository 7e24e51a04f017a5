from django.urls import path

from . import views

app_name = "dashboard"

urlpatterns = [
    path("", views.home, name="home"),
    path("start/", views.provider, name="provider"),
    path("office/", views.office, name="office"),
    path("steering/", views.steering, name="steering"),
    path("finance/", views.finance, name="finance"),
    path("audit/", views.audit, name="audit"),
    path("audit/verify/", views.verify, name="verify"),
]
