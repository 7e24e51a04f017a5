from django.urls import path

from . import grant_views, views

app_name = "applications"

urlpatterns = [
    path("", views.my_applications, name="mine"),
    path("all/", views.staff_list, name="staff_list"),
    path("new/", views.create, name="create"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/submit/", views.submit, name="submit"),
    path("<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("<int:pk>/delete/", views.delete, name="delete"),
    # Changing an approval (waiver, revocation): applications.grant_views.
    path("<int:pk>/waive/", grant_views.waive, name="waive"),
    path("<int:pk>/revocation/", grant_views.revocation_start, name="revocation_start"),
    path(
        "<int:pk>/revocation/<int:revocation_pk>/response/",
        grant_views.revocation_response,
        name="revocation_response",
    ),
    path(
        "<int:pk>/revocation/<int:revocation_pk>/decide/",
        grant_views.revocation_decide,
        name="revocation_decide",
    ),
    path(
        "<int:pk>/revocation/<int:revocation_pk>/drop/",
        grant_views.revocation_drop,
        name="revocation_drop",
    ),
    path(
        "<int:pk>/revocation/<int:revocation_pk>/hearing.pdf",
        grant_views.hearing_letter,
        name="hearing_letter",
    ),
    path(
        "<int:pk>/revocation/<int:revocation_pk>/notice.pdf",
        grant_views.revocation_notice,
        name="revocation_notice",
    ),
    path("<int:pk>/attachments/", views.attachment_upload, name="attachment_upload"),
    path(
        "<int:pk>/attachments/<int:attachment_pk>/",
        views.attachment_download,
        name="attachment_download",
    ),
    path(
        "<int:pk>/attachments/<int:attachment_pk>/delete/",
        views.attachment_delete,
        name="attachment_delete",
    ),
]
