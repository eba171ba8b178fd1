from django.urls import path

from bookings.views import dogs

app_name = "dogs"

urlpatterns = [
    path("", dogs.dog_list, name="list"),
]
