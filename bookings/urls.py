from django.urls import path

from bookings.views import bookings

app_name = "bookings"

urlpatterns = [
    path("", bookings.booking_list, name="list"),
    path("new/", bookings.booking_create, name="create"),
    path("series/<int:pk>/", bookings.series_detail, name="series"),
    path("<str:reference>/", bookings.booking_detail, name="detail"),
    path("<str:reference>/cancel/", bookings.booking_cancel, name="cancel"),
]
