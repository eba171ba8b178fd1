from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from accounts import language
from pompygo import views

admin.site.site_header = _("Pompy Go ops")
admin.site.site_title = _("Pompy Go ops")
admin.site.index_title = _("Bookings, walkers and messages")
# The lists of bookings, the ops queue and the message log need the whole
# width of a 1366 px ops laptop. The app list is one click away on the home page.
admin.site.enable_nav_sidebar = False

urlpatterns = [
    path("", views.home, name="home"),
    path("i18n/setlang/", language.set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("profile/", include("accounts.urls")),
    path("bookings/", include("bookings.urls")),
    path("dogs/", include("bookings.dog_urls")),
    path("walkers/", include("walkers.urls")),
    path("notifications/", include("notifications.urls")),
    path("walk/", include("reports.urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
