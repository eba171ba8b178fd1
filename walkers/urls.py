from django.urls import path

from walkers import views

app_name = "walkers"

urlpatterns = [
    path("", views.walker_list, name="list"),
    path("apply/", views.apply, name="apply"),
    path("me/", views.dashboard, name="dashboard"),
    path("me/history/", views.history, name="history"),
    path("me/profile/", views.edit_profile, name="edit-profile"),
    path("me/documents/", views.upload_document, name="upload-document"),
    path("me/availability/", views.availability, name="availability"),
    path("me/availability/time-off/", views.exception_add, name="add-time-off"),
    path(
        "me/availability/time-off/<int:pk>/delete/",
        views.exception_delete,
        name="delete-time-off",
    ),
    path("me/walks/<str:reference>/", views.walk_detail, name="walk"),
    path("me/walks/<str:reference>/on-my-way/", views.on_the_way, name="on-the-way"),
    path("me/offers/", views.offers, name="offers"),
    path("me/offers/<int:pk>/", views.offer_detail, name="offer"),
    path("me/offers/<int:pk>/accept/", views.offer_accept, name="accept-offer"),
    path("me/offers/<int:pk>/decline/", views.offer_decline, name="decline-offer"),
    path("documents/<int:pk>/", views.document, name="document"),
    path("<int:pk>/", views.walker_profile, name="profile"),
    path("<int:pk>/prefer/", views.prefer, name="prefer"),
]
