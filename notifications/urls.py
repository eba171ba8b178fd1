from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.notification_list, name="list"),
    path("read-all/", views.mark_all_read, name="read-all"),
    path("unread-count/", views.unread_count, name="unread-count"),
    path("settings/", views.preferences, name="preferences"),
    path("<int:pk>/read/", views.mark_read, name="read"),
]
