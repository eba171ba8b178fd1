from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("media/<str:token>/<str:variant>/", views.media, name="media"),
    path("shared/<str:token>/", views.shared, name="shared"),
    path("shared/<str:token>/feed/", views.shared_feed, name="shared-feed"),
    path(
        "shared/<str:share_token>/media/<str:token>/<str:variant>/",
        views.shared_media,
        name="shared-media",
    ),
    path("<str:reference>/", views.walk, name="walk"),
    path("<str:reference>/feed/", views.feed, name="feed"),
    path("<str:reference>/share/", views.share, name="share"),
    path(
        "<str:reference>/share/<int:pk>/revoke/",
        views.revoke_share,
        name="revoke-share",
    ),
    path("<str:reference>/review/", views.review, name="review"),
    path("<str:reference>/start/", views.start, name="start"),
    path("<str:reference>/run/", views.run, name="run"),
    path("<str:reference>/updates/", views.upload, name="upload"),
    path("<str:reference>/track/", views.track, name="track"),
    path("<str:reference>/emergency/", views.emergency, name="emergency"),
    path(
        "<str:reference>/emergency/<int:pk>/",
        views.emergency_detail,
        name="emergency-detail",
    ),
    path("<str:reference>/report/", views.report, name="report"),
]
