from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WalkersConfig(AppConfig):
    name = "walkers"
    verbose_name = _("Walkers")

    def ready(self) -> None:
        from walkers import checks  # noqa: F401  registers the system check
