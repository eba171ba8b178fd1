from django import forms
from django.utils.translation import gettext_lazy as _

from notifications.models import NotificationPreference


class PreferenceForm(forms.ModelForm):
    class Meta:
        model = NotificationPreference
        fields = ["whatsapp"]
        labels = {"whatsapp": _("Also send me messages on WhatsApp")}

    def clean_whatsapp(self) -> bool:
        wanted = bool(self.cleaned_data.get("whatsapp"))
        if wanted and not self.instance.user.phone:
            raise forms.ValidationError(
                _(
                    "Add your mobile number on your profile first: WhatsApp "
                    "messages go to that number."
                ),
                code="no_phone",
            )
        return wanted
