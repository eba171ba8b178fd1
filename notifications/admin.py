from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from notifications.models import Message, Notification, NotificationPreference
from notifications.services import queue_messages


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "event",
        "recipient",
        "channel",
        "state",
        "attempts",
        "booking",
        "sent_at",
        "short_error",
    ]
    list_filter = ["state", "channel", "event", "created_at"]
    search_fields = ["recipient__email", "event_key", "booking__reference", "error"]
    list_select_related = ["recipient", "booking"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "event",
        "event_key",
        "recipient",
        "channel",
        "booking",
        "context",
        "state",
        "attempts",
        "error",
        "provider_id",
        "created_at",
        "claimed_at",
        "next_attempt_at",
        "sent_at",
        "updated_at",
    ]
    actions = ["send_again"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description=_("last error"))
    def short_error(self, message: Message) -> str:
        return message.error[:80]

    @admin.action(description=_("Send failed messages again"))
    def send_again(self, request: HttpRequest, queryset: QuerySet[Message]) -> None:
        ids = list(
            queryset.filter(state=Message.State.FAILED).values_list("pk", flat=True)
        )
        # A conditional UPDATE: a message sent in the meantime stays sent.
        Message.objects.filter(pk__in=ids, state=Message.State.FAILED).update(
            state=Message.State.QUEUED, attempts=0, updated_at=timezone.now()
        )
        queue_messages(ids)
        self.message_user(
            request,
            ngettext(
                "%(count)d failed message queued again.",
                "%(count)d failed messages queued again.",
                len(ids),
            )
            % {"count": len(ids)},
            messages.SUCCESS,
        )


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "event", "title", "read_at"]
    list_filter = ["event", "created_at"]
    search_fields = ["recipient__email", "title"]
    list_select_related = ["recipient"]
    raw_id_fields = ["recipient", "message"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "whatsapp", "updated_at"]
    list_filter = ["whatsapp"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
