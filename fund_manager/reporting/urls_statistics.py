from django.urls import path

from .views.statistics import statistics_page

urlpatterns = [
    path("statistics/", statistics_page, name="statistics"),
]
