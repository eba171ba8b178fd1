"""Django settings for Pompy Go.

Every value that differs between the demo, the tests and production is read
from an environment variable; the README lists them. The defaults run the
demo: SQLite, tasks in-process, email printed to the console.
"""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from pompygo.env import env_bool, env_choice, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = env_str("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is missing. Set it to a long random string, "
            "or set DJANGO_DEBUG=1 for local work."
        )
    SECRET_KEY = "insecure-local-only-key-never-use-in-production"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "allauth",
    "allauth.account",
    "crispy_forms",
    "crispy_bootstrap5",
    "pompygo",
    "accounts",
    "walkers",
    "bookings",
    "notifications",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "pompygo.urls"
WSGI_APPLICATION = "pompygo.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: PostgreSQL in production and tests, a SQLite file for the demo.
try:
    DATABASES = {
        "default": dj_database_url.parse(
            env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
            conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
            conn_health_checks=True,
        )
    }
except ValueError as error:
    # dj-database-url names the bad scheme, never the password.
    raise ImproperlyConfigured(
        f"DATABASE_URL is invalid ({error}). Use postgres://user@host:5432/name "
        "or sqlite:///path/to/file.sqlite3."
    ) from None
# The demo may run a Celery worker beside the site. A transaction that takes
# the write lock when it starts waits up to the timeout for the other
# writer, rather than failing with "database is locked" halfway through.
SQLITE_OPTIONS = {
    "timeout": 20,
    "transaction_mode": "IMMEDIATE",
    "init_command": "PRAGMA journal_mode=WAL;",
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = SQLITE_OPTIONS
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis carries the Celery queue and the cache. Without it, tasks run
# in-process as they are queued, which is what the demo wants.
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "pompygo"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 100
CELERY_TIMEZONE = "Asia/Jakarta"
# A task that is not acknowledged within this many seconds is delivered again.
# It must be longer than any task runs, so acks_late never causes a rerun.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "bookings:list"

# django-allauth 65: log in by email, no usernames, verified email required.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Pompy Go] "

EMAIL_BACKEND = env_str(
    "DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Pompy Go <halo@pompygo.id>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Bahasa Indonesia first, English second. Times are shown and entered in WIB.
LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Bahasa Indonesia")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Jakarta"
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("DJANGO_MEDIA_ROOT", str(BASE_DIR / "media")))
# Walkers' identity documents: served by no URL, only by a staff view.
PRIVATE_MEDIA_ROOT = Path(
    env_str("DJANGO_PRIVATE_MEDIA_ROOT", str(BASE_DIR / "private_media"))
)
if PRIVATE_MEDIA_ROOT.resolve().is_relative_to(MEDIA_ROOT.resolve()):
    raise ImproperlyConfigured(
        f"DJANGO_PRIVATE_MEDIA_ROOT={str(PRIVATE_MEDIA_ROOT)!r} is inside "
        f"DJANGO_MEDIA_ROOT={str(MEDIA_ROOT)!r}, which the web server publishes. "
        "Put private documents in a folder outside it."
    )
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Uploads: the largest photo the forms accept. Django puts no limit on the
# file part of a request: an upload larger than FILE_UPLOAD_MAX_MEMORY_SIZE
# is streamed to a temporary file, and DATA_UPLOAD_MAX_MEMORY_SIZE counts only
# the other fields. The reverse proxy's body limit (client_max_body_size in
# docs/nginx.conf) must exceed PHOTO_MAX_BYTES plus DATA_UPLOAD_MAX_MEMORY_SIZE,
# so that an oversized photo reaches the form and gets its message.
PHOTO_MAX_BYTES = env_int("PHOTO_MAX_BYTES", 15 * 1024 * 1024)
PHOTO_MAX_PIXELS = env_int("PHOTO_MAX_PIXELS", 50_000_000)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# The walk. A walk video is one file per request, like a photo, so the
# reverse proxy's body limit must also exceed VIDEO_MAX_BYTES plus
# DATA_UPLOAD_MAX_MEMORY_SIZE; tests/test_walk_media.py checks docs/nginx.conf.
VIDEO_MAX_BYTES = env_int("VIDEO_MAX_BYTES", 50 * 1024 * 1024)
# A dog at full sprint runs about 45 km/h; a GPS fix that needs more is a jump.
GPS_MAX_SPEED_KMH = env_int("GPS_MAX_SPEED_KMH", 45)
WALK_START_MAX_DISTANCE_M = env_int("WALK_START_MAX_DISTANCE_M", 300)
# nginx's internal location for walk media (X-Accel-Redirect); empty: Django
# sends the file itself.
WALK_MEDIA_ACCEL_PREFIX = env_str("WALK_MEDIA_ACCEL_PREFIX", "")
OPS_ALERT_EMAILS = env_list("OPS_ALERT_EMAILS", ["ops@pompygo.id"])
OPS_PHONE = env_str("OPS_PHONE", "")

# Notifications. WhatsApp is off until both the token and the phone number
# id of the WhatsApp Business Cloud API are set.
WHATSAPP_TOKEN = env_str("WHATSAPP_TOKEN", "")
WHATSAPP_PHONE_NUMBER_ID = env_str("WHATSAPP_PHONE_NUMBER_ID", "")
WHATSAPP_API_URL = env_str("WHATSAPP_API_URL", "https://graph.facebook.com/v21.0")
WHATSAPP_TIMEOUT_SECONDS = env_int("WHATSAPP_TIMEOUT_SECONDS", 10)
# An approved message template with two body parameters (subject, text).
# Empty: plain text, which WhatsApp delivers only within 24 hours of the
# user's last message to us.
WHATSAPP_TEMPLATE_NAME = env_str("WHATSAPP_TEMPLATE_NAME", "")
NOTIFICATION_MAX_ATTEMPTS = env_int("NOTIFICATION_MAX_ATTEMPTS", 6)
NOTIFICATION_RETRY_BASE_SECONDS = env_int("NOTIFICATION_RETRY_BASE_SECONDS", 30)
# How long a queued or retrying message may wait past its time before the
# sweeper queues it again.
NOTIFICATION_QUEUE_GRACE_SECONDS = env_int("NOTIFICATION_QUEUE_GRACE_SECONDS", 120)
# Longer than the send task's time limit (60 s): a message still "sending"
# after this belongs to a worker that died.
NOTIFICATION_SENDING_TIMEOUT_SECONDS = env_int(
    "NOTIFICATION_SENDING_TIMEOUT_SECONDS", 300
)
ESCALATE_NOT_STARTED_MINUTES_AFTER = env_int("ESCALATE_NOT_STARTED_MINUTES_AFTER", 15)
# Read site notifications and the message log are deleted after this many days.
NOTIFICATION_RETENTION_DAYS = env_int("NOTIFICATION_RETENTION_DAYS", 365)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Security: strict whenever DEBUG is off. TLS ends at the reverse proxy,
# which sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LOG_LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "filters": {
        "without_expected_tracebacks": {
            "()": "pompygo.lib.logs.WithoutExpectedTracebacks",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["without_expected_tracebacks"],
        },
    },
    "root": {
        "handlers": ["console"],
        "level": env_choice("DJANGO_LOG_LEVEL", "INFO", LOG_LEVELS),
    },
    "loggers": {
        # Django's default configuration gives "django" a console handler of
        # its own in debug mode, so each line came out twice, once from the root.
        "django": {"handlers": [], "propagate": True},
    },
}

# Bookings: the walk length for services without their own, in minutes.
BOOKING_TIME_STEP_MINUTES = 15

# The public address of the site, for links in emails.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

# Matching of bookings to walkers. The weights are relative: only their
# ratios matter, and each weighs a part of the score that runs from 0 to 1.
MATCHING_WEIGHTS = {
    part: env_int(f"MATCHING_WEIGHT_{part.upper()}", default)
    for part, default in [
        ("distance", 30),
        ("rating", 15),
        ("reliability", 20),
        ("load", 15),
        ("familiarity", 20),
    ]
}
if min(MATCHING_WEIGHTS.values()) < 0 or not sum(MATCHING_WEIGHTS.values()):
    raise ImproperlyConfigured(
        f"MATCHING_WEIGHT_* must be whole numbers of 0 or more, and not all 0; "
        f"they are {MATCHING_WEIGHTS}."
    )
MATCHING_OFFER_TIMEOUT_MINUTES = env_int("MATCHING_OFFER_TIMEOUT_MINUTES", 10)
MATCHING_MAX_DECLINES = env_int("MATCHING_MAX_DECLINES", 3)
MATCHING_ESCALATE_BEFORE_MINUTES = env_int("MATCHING_ESCALATE_BEFORE_MINUTES", 180)
MATCHING_TRAVEL_SPEED_KMH = env_int("MATCHING_TRAVEL_SPEED_KMH", 15)
MATCHING_TRAVEL_BUFFER_MINUTES = env_int("MATCHING_TRAVEL_BUFFER_MINUTES", 10)
MATCHING_BATCH_WINDOW_HOURS = env_int("MATCHING_BATCH_WINDOW_HOURS", 24)
MATCHING_BATCH_EVERY_MINUTES = env_int("MATCHING_BATCH_EVERY_MINUTES", 0)
for _name in [
    "MATCHING_OFFER_TIMEOUT_MINUTES",
    "MATCHING_MAX_DECLINES",
    "MATCHING_TRAVEL_SPEED_KMH",
    "MATCHING_BATCH_WINDOW_HOURS",
]:
    if globals()[_name] < 1:
        raise ImproperlyConfigured(f"{_name} must be 1 or more.")
# Walkers at these levels get walks assigned at once, without an offer.
MATCHING_AUTO_ASSIGN_LEVELS = env_list("MATCHING_AUTO_ASSIGN_LEVELS", [])
_unknown_levels = set(MATCHING_AUTO_ASSIGN_LEVELS) - {"new", "certified", "mentor"}
if _unknown_levels:
    raise ImproperlyConfigured(
        f"MATCHING_AUTO_ASSIGN_LEVELS has unknown levels {sorted(_unknown_levels)}: "
        "use new, certified or mentor, separated by commas, or leave it empty."
    )

# Periodic jobs, run by `celery -A pompygo beat`.
CELERY_BEAT_SCHEDULE = {
    "notifications-sweep": {
        "task": "notifications.tasks.sweep_messages",
        "schedule": 60.0,
    },
    "notifications-reminders": {
        "task": "notifications.tasks.send_due_reminders",
        "schedule": 60.0,
    },
    "notifications-escalations": {
        "task": "notifications.tasks.escalate_to_ops",
        "schedule": 60.0,
    },
    "notifications-purge": {
        "task": "notifications.tasks.purge_old_messages",
        "schedule": 24 * 3600.0,
    },
    "matching-expire-offers": {
        "task": "bookings.tasks.expire_offers",
        "schedule": 60.0,
    },
    "matching-sweep-unmatched": {
        "task": "bookings.tasks.sweep_unmatched",
        "schedule": 300.0,
    },
}
if MATCHING_BATCH_EVERY_MINUTES > 0:
    CELERY_BEAT_SCHEDULE["matching-batch"] = {
        "task": "bookings.tasks.batch_assign",
        "schedule": MATCHING_BATCH_EVERY_MINUTES * 60.0,
    }
