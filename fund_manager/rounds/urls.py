from django.urls import path

from . import views

app_name = "rounds"

urlpatterns = [
    path("", views.round_list, name="list"),
    path("steering-group/", views.steering_group, name="steering_group"),
    path(
        "steering-group/funds/<int:fund_pk>/create/",
        views.create_steering_group,
        name="create_steering_group",
    ),
    path("steering-group/<int:group_pk>/seats/add/", views.add_seat, name="add_seat"),
    path("steering-group/seats/<int:seat_pk>/end/", views.end_seat, name="end_seat"),
    path("<int:pk>/", views.round_detail, name="detail"),
    path("<int:pk>/open/", views.open_round, name="open"),
    path("<int:pk>/agenda/", views.add_items, name="add_items"),
    path("<int:pk>/close-submissions/", views.close_submissions, name="close_submissions"),
    path("<int:pk>/items/<int:item_pk>/move/", views.move_item, name="move_item"),
    path("<int:pk>/items/<int:item_pk>/move-to-round/", views.move_to_round, name="move_to_round"),
    path("<int:pk>/reschedule/", views.reschedule, name="reschedule"),
    path("<int:pk>/cancel/", views.cancel, name="cancel"),
    path("<int:pk>/session/", views.session, name="session"),
    path("<int:pk>/session/attendance/", views.attendance, name="attendance"),
    path("<int:pk>/session/open/", views.open_session, name="open_session"),
    path("<int:pk>/session/close/", views.close_session, name="close_session"),
    path("<int:pk>/minutes/sign/", views.sign_minutes, name="sign_minutes"),
    path(
        "items/<int:item_pk>/notification/",
        views.record_notification,
        name="record_notification",
    ),
    path("<int:pk>/items/<int:item_pk>/proposal/", views.proposal, name="proposal"),
    path("<int:pk>/items/<int:item_pk>/defer/", views.defer, name="defer"),
    path("<int:pk>/vote/", views.vote_page, name="vote"),
    path("<int:pk>/items/<int:item_pk>/vote/", views.cast_vote, name="cast_vote"),
    path("<int:pk>/items/<int:item_pk>/conflict/", views.declare_conflict, name="conflict"),
    path("<int:pk>/tally.json", views.tally_json, name="tally"),
]
