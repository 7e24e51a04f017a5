from django.urls import path

from . import views

app_name = "organisations"

urlpatterns = [
    path("", views.organisation_list, name="list"),
    path("new/", views.organisation_create, name="create"),
    path("<int:pk>/", views.organisation_detail, name="detail"),
    path("<int:pk>/edit/", views.organisation_edit, name="edit"),
    path("<int:pk>/members/add/", views.member_add, name="member_add"),
    path("<int:pk>/members/<int:user_pk>/remove/", views.member_remove, name="member_remove"),
    path("<int:pk>/bank-details/", views.bank_details, name="bank_details"),
    path(
        "<int:pk>/bank-details/<int:change_pk>/confirm/",
        views.bank_change_confirm,
        name="bank_change_confirm",
    ),
    path(
        "<int:pk>/bank-details/<int:change_pk>/reject/",
        views.bank_change_reject,
        name="bank_change_reject",
    ),
]
