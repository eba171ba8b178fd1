from django.urls import path, register_converter

from bookings.converters import ReferenceConverter
from bookings.views import bookings

register_converter(ReferenceConverter, "reference")

app_name = "bookings"

urlpatterns = [
    path("", bookings.booking_list, name="list"),
    path("new/", bookings.booking_create, name="create"),
    path("series/<int:pk>/", bookings.series_detail, name="series"),
    path("<reference:reference>/", bookings.booking_detail, name="detail"),
    path("<reference:reference>/cancel/", bookings.booking_cancel, name="cancel"),
]
