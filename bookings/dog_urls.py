from django.urls import path

from bookings.views import dogs

app_name = "dogs"

urlpatterns = [
    path("", dogs.dog_list, name="list"),
    path("add/", dogs.dog_add, name="add"),
    path("<int:pk>/edit/", dogs.dog_edit, name="edit"),
    path("<int:pk>/remove/", dogs.dog_remove, name="remove"),
]
