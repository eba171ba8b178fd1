from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from pompygo.lib.phones import format_indonesian_mobile


class EmailUserManager(UserManager["User"]):
    """Manager for a user model that has no username: the email is the login."""

    use_in_migrations = True

    def _create_user_object(
        self, email: str, password: str | None, **extra_fields: Any
    ) -> "User":
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        return user

    def create_user(  # type: ignore[override]
        self, email: str, password: str | None = None, **extra_fields: Any
    ) -> "User":
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        user = self._create_user_object(email, password, **extra_fields)
        user.save(using=self._db)
        return user

    def create_superuser(  # type: ignore[override]
        self, email: str, password: str | None = None, **extra_fields: Any
    ) -> "User":
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        extra_fields.setdefault("role", User.Role.STAFF)
        return self.create_user(email, password, **extra_fields)

    def get_by_natural_key(self, username: str | None) -> "User":
        return self.get(email__iexact=username)


class User(AbstractUser):
    class Role(models.TextChoices):
        OWNER = "owner", _("Pet owner")
        WALKER = "walker", _("Walker")
        PARTNER = "partner", _("Partner")
        STAFF = "staff", _("Staff")

    username = None  # type: ignore[assignment]
    email = models.EmailField(_("email address"), unique=True)
    phone = models.CharField(
        _("mobile number"),
        max_length=16,
        blank=True,
        help_text=_("Stored in international form, for example +6281234567890."),
    )
    role = models.CharField(
        _("role"), max_length=16, choices=Role.choices, default=Role.OWNER
    )
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=settings.LANGUAGES,
        default="id",
        help_text=_("Language of the emails and messages we send this user."),
    )

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects = EmailUserManager()  # type: ignore[misc]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="accounts_user_email_ci_unique",
                violation_error_message=_("An account with this email already exists."),
            ),
        ]

    def __str__(self) -> str:
        return self.email

    def save(self, *args: Any, **kwargs: Any) -> None:
        # One address, one account: Dewi@Contoh.co.id and dewi@contoh.co.id
        # are the same mailbox in practice, so we keep emails lower case.
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.email.split("@")[0]

    @property
    def phone_display(self) -> str:
        return format_indonesian_mobile(self.phone)
