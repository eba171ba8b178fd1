"""Recruitment run by staff in the admin: stages, verified, suspension."""

import datetime as dt
from typing import Any

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone, translation

from bookings.models import Booking
from tests.factories import BookingFactory, WalkerProfileFactory, walk_start
from walkers.demo import make_available, make_verified, pass_stages
from walkers.models import STAGE_ORDER, WalkerDocument, WalkerProfile, WalkerStage
from walkers.services import add_document, suspend


@pytest.fixture(autouse=True)
def _english(settings: Any, tmp_path: Any) -> Any:
    settings.LANGUAGE_CODE = "en"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    with translation.override("en"):
        yield


@pytest.fixture
def applicant(walker: Any) -> WalkerProfile:
    """Agus as a fresh applicant who meets every minimum criterion."""
    walker.stages.all().delete()
    walker.date_of_birth = dt.date(1995, 1, 1)
    walker.id_number = "3174010101950001"
    walker.has_smartphone = True
    walker.experience = "Three years walking the neighbours' dogs."
    walker.save()
    add_document(walker, WalkerDocument.Kind.KTP, ContentFile(b"jpeg"), "image/jpeg")
    return walker


def stage(walker: Any, code: str, staff: Any, **fields: Any) -> WalkerStage:
    return WalkerStage(walker=walker, stage=code, decided_by=staff, **fields)


# Derived "verified"


def test_verified_needs_every_stage(applicant, staff):
    pass_stages(applicant, len(STAGE_ORDER) - 1, staff, timezone.localdate())
    assert not WalkerProfile.objects.get(pk=applicant.pk).is_verified
    assert not WalkerProfile.objects.verified().filter(pk=applicant.pk).exists()
    pass_stages(applicant, len(STAGE_ORDER), staff, timezone.localdate())
    assert WalkerProfile.objects.get(pk=applicant.pk).is_verified
    assert WalkerProfile.objects.verified().filter(pk=applicant.pk).exists()


def test_failed_stage_is_not_verified(applicant, staff):
    pass_stages(applicant, len(STAGE_ORDER), staff, timezone.localdate())
    applicant.stages.filter(stage="background").update(outcome="failed")
    fresh = WalkerProfile.objects.get(pk=applicant.pk)
    assert not fresh.is_verified
    assert fresh.pipeline().failed.stage == "background"
    assert fresh.pipeline().next_stage is None


# The stored count of passed stages, which database triggers keep.


def stored_count(walker: WalkerProfile) -> int:
    return WalkerProfile.objects.values_list("stages_passed", flat=True).get(
        pk=walker.pk
    )


def is_listed_verified(walker: WalkerProfile) -> bool:
    return WalkerProfile.objects.verified().filter(pk=walker.pk).exists()


def test_stored_count_follows_each_pass(applicant, staff):
    assert stored_count(applicant) == 0
    for count in range(1, len(STAGE_ORDER) + 1):
        pass_stages(applicant, count, staff, timezone.localdate())
        assert stored_count(applicant) == count
    assert is_listed_verified(applicant)


def test_stored_count_drops_on_failed_stage(applicant, staff):
    pass_stages(applicant, len(STAGE_ORDER), staff, timezone.localdate())
    record = applicant.stages.get(stage="training")
    record.outcome = WalkerStage.Outcome.FAILED
    record.rejection_reason = "Missed the training."
    record.save()
    assert stored_count(applicant) == len(STAGE_ORDER) - 1
    assert not is_listed_verified(applicant)


def test_stored_count_drops_on_bulk_update(applicant, staff):
    pass_stages(applicant, len(STAGE_ORDER), staff, timezone.localdate())
    applicant.stages.filter(stage="background").update(outcome="failed")
    assert stored_count(applicant) == len(STAGE_ORDER) - 1
    assert not is_listed_verified(applicant)


def test_stored_count_drops_on_reopened_stage(applicant, staff):
    pass_stages(applicant, len(STAGE_ORDER), staff, timezone.localdate())
    applicant.stages.get(stage="training").delete()
    assert stored_count(applicant) == len(STAGE_ORDER) - 1
    assert not is_listed_verified(applicant)
    pass_stages(applicant, len(STAGE_ORDER), staff, timezone.localdate())
    assert stored_count(applicant) == len(STAGE_ORDER)
    assert is_listed_verified(applicant)


def test_stored_count_survives_stale_save(applicant, staff):
    pass_stages(applicant, len(STAGE_ORDER), staff, timezone.localdate())
    stale = WalkerProfile.objects.get(pk=applicant.pk)
    applicant.stages.get(stage="training").delete()
    stale.bio = "Edited in another tab."
    stale.save()
    assert stored_count(applicant) == len(STAGE_ORDER) - 1
    assert not is_listed_verified(applicant)


def test_stored_count_cannot_be_forged(applicant):
    WalkerProfile.objects.filter(pk=applicant.pk).update(stages_passed=len(STAGE_ORDER))
    assert stored_count(applicant) == 0
    assert not is_listed_verified(applicant)


def test_inactive_walker_verified_but_not_assignable(applicant, staff):
    pass_stages(applicant, len(STAGE_ORDER), staff, timezone.localdate())
    applicant.refresh_from_db()
    applicant.is_active = False
    applicant.save()
    assert stored_count(applicant) == len(STAGE_ORDER)
    assert is_listed_verified(applicant)
    assert not WalkerProfile.objects.assignable().filter(pk=applicant.pk).exists()


# Stage rules


@pytest.mark.parametrize(
    ("code", "fields", "field", "message"),
    [
        ("interview", {"outcome": "passed"}, "score", "Enter the score"),
        (
            "interview",
            {"outcome": "passed", "score": 69},
            "score",
            "below the pass mark",
        ),
        (
            "practical",
            {"outcome": "failed", "score": 40},
            "rejection_reason",
            "Say why",
        ),
        ("background", {"outcome": "passed"}, "skck_verified", "Verify the SKCK"),
        (
            "background",
            {"outcome": "passed", "skck_verified": True},
            "references_called",
            "Call the references",
        ),
    ],
)
def test_stage_rules(applicant, staff, code, fields, field, message):
    with pytest.raises(ValidationError) as error:
        stage(applicant, code, staff, **fields).full_clean()
    assert message in " ".join(error.value.message_dict[field])


def test_passing_scores_are_accepted(applicant, staff):
    stage(applicant, "interview", staff, outcome="passed", score=70).full_clean()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"date_of_birth": dt.date(2015, 1, 1)}, "18 or over"),
        ({"id_number": ""}, "KTP number and photo"),
        ({"has_smartphone": False}, "no smartphone"),
        ({"experience": ""}, "no experience"),
    ],
)
def test_screening_checks_minimum_criteria(applicant, staff, change, message):
    for name, value in change.items():
        setattr(applicant, name, value)
    applicant.save()
    with pytest.raises(ValidationError) as error:
        stage(applicant, "screening", staff, outcome="passed").full_clean()
    assert message in " ".join(error.value.message_dict["outcome"])


def test_screening_needs_an_area(applicant, staff):
    applicant.areas.clear()
    with pytest.raises(ValidationError, match="no service area"):
        stage(applicant, "screening", staff, outcome="passed").full_clean()


def test_screening_needs_the_ktp_photo(applicant, staff):
    applicant.documents.all().delete()
    with pytest.raises(ValidationError, match="KTP number and photo"):
        stage(applicant, "screening", staff, outcome="passed").full_clean()


# The admin


def change_url(walker: Any) -> str:
    return reverse("admin:walkers_walkerprofile_change", args=[walker.pk])


def admin_form_data(response: Any) -> dict[str, Any]:
    """Return the change form's current values as the browser would post them."""
    data: dict[str, Any] = {}

    def add_form(form: Any) -> None:
        for name, field in form.fields.items():
            value = form[name].value()
            key = form.add_prefix(name)
            if isinstance(field, forms.FileField):
                continue  # a stored file is kept when nothing is posted
            if isinstance(value, bool):
                if value:
                    data[key] = "on"
            elif isinstance(value, list | tuple):
                data[key] = [str(item) for item in value]
            elif value is None:
                data[key] = ""
            else:
                data[key] = field.widget.format_value(value) or ""

    add_form(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name, value in formset.management_form.initial.items():
            data[formset.management_form.add_prefix(name)] = value
        for form in formset.forms:
            if form.has_changed() or form.instance.pk:
                add_form(form)
    return data


def post_stage(client: Any, walker: Any, code: str, **fields: Any) -> Any:
    page = client.get(change_url(walker))
    data = admin_form_data(page)
    prefix = "stages"
    total = int(data[f"{prefix}-TOTAL_FORMS"])
    new = f"{prefix}-{total}"
    data[f"{prefix}-TOTAL_FORMS"] = total + 1
    data.update(
        {f"{new}-stage": code, f"{new}-decided_on": timezone.localdate().isoformat()}
    )
    for name, value in fields.items():
        if value is True:
            data[f"{new}-{name}"] = "on"
        elif value is not False:
            data[f"{new}-{name}"] = value
    return client.post(change_url(walker), data)


def test_staff_pass_every_stage_in_admin(staff_client, staff, applicant):
    plan = [
        ("screening", {"outcome": "passed"}),
        ("interview", {"outcome": "passed", "score": 82}),
        ("practical", {"outcome": "passed", "score": 90}),
        (
            "background",
            {"outcome": "passed", "skck_verified": True, "references_called": True},
        ),
        ("training", {"outcome": "passed"}),
    ]
    for code, fields in plan:
        response = post_stage(staff_client, applicant, code, **fields)
        assert response.status_code == 302, response.context["inline_admin_formsets"][
            0
        ].formset.errors
    stages = list(applicant.stages.order_by("pk"))
    assert [s.stage for s in stages] == STAGE_ORDER
    assert all(s.decided_by == staff for s in stages)
    assert WalkerProfile.objects.get(pk=applicant.pk).is_verified


def test_admin_rejects_stage_out_of_order(staff_client, applicant):
    response = post_stage(
        staff_client, applicant, "interview", outcome="passed", score=90
    )
    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.errors
    assert "not passed" in str(errors)
    assert not applicant.stages.exists()


def test_admin_rejects_low_score(staff_client, applicant, staff):
    pass_stages(applicant, 1, staff, timezone.localdate())
    response = post_stage(
        staff_client, applicant, "interview", outcome="passed", score=50
    )
    assert response.status_code == 200
    assert applicant.stages.count() == 1


def test_admin_records_a_rejection(staff_client, applicant, staff):
    pass_stages(applicant, 1, staff, timezone.localdate())
    response = post_stage(
        staff_client,
        applicant,
        "interview",
        outcome="failed",
        score=35,
        rejection_reason="Unsafe with reactive dogs.",
    )
    assert response.status_code == 302
    assert (
        WalkerProfile.objects.get(pk=applicant.pk).pipeline().failed.stage
        == "interview"
    )


def test_admin_decisions_update_stored_count(staff_client, applicant):
    response = post_stage(staff_client, applicant, "screening", outcome="passed")
    assert response.status_code == 302
    assert stored_count(applicant) == 1
    response = post_stage(
        staff_client,
        applicant,
        "interview",
        outcome="failed",
        score=40,
        rejection_reason="Unsure how to handle a pulling dog.",
    )
    assert response.status_code == 302
    assert stored_count(applicant) == 1


def test_admin_shows_full_id_number_to_staff(staff_client, applicant):
    response = staff_client.get(change_url(applicant))
    assert b"3174010101950001" in response.content
    assert b"All met" in response.content


def test_admin_links_documents_to_the_staff_view(staff_client, applicant):
    response = staff_client.get(change_url(applicant))
    document = applicant.documents.get()
    assert reverse("walkers:document", args=[document.pk]).encode() in response.content
    assert b"walker-documents/" not in response.content


def test_posting_stage_fields_to_admin_needs_staff(client, walker):
    client.force_login(walker.user)
    response = client.post(change_url(walker), {"stages-0-stage": "training"})
    assert response.status_code == 302
    assert "login" in response["Location"]


@pytest.mark.parametrize("recruitment", ["", "verified", "in_progress", "rejected"])
def test_admin_list_filters(
    staff_client, staff, recruitment, django_assert_max_num_queries
):
    for _ in range(5):
        make_verified(WalkerProfileFactory(), staff)
    WalkerProfileFactory().stages.all().delete()
    with django_assert_max_num_queries(12):
        response = staff_client.get(
            reverse("admin:walkers_walkerprofile_changelist"),
            {"recruitment": recruitment},
        )
    assert response.status_code == 200


# Suspension


def test_suspend_releases_future_walks(ready_walker, staff, owner):
    future = BookingFactory(
        owner=owner, walker=ready_walker, status=Booking.Status.CONFIRMED
    )
    past = BookingFactory(
        owner=owner,
        walker=ready_walker,
        status=Booking.Status.COMPLETED,
        starts_at=timezone.now() - dt.timedelta(days=2),
    )
    released = suspend(ready_walker, staff, "Late three times")
    assert [b.pk for b in released] == [future.pk]
    future.refresh_from_db()
    past.refresh_from_db()
    assert future.walker is None
    assert future.status == Booking.Status.REQUESTED
    assert future.events.last().actor == staff
    assert past.walker == ready_walker
    ready_walker.refresh_from_db()
    assert not ready_walker.is_active
    assert (
        not WalkerProfile.objects.verified_active().filter(pk=ready_walker.pk).exists()
    )


@pytest.fixture
def ready_walker(walker: Any, staff: Any) -> Any:
    return make_available(make_verified(walker, staff))


def test_suspend_action_lists_bookings_to_refill(staff_client, ready_walker, owner):
    booking = BookingFactory(
        owner=owner, walker=ready_walker, status=Booking.Status.CONFIRMED
    )
    response = staff_client.post(
        reverse("admin:walkers_walkerprofile_changelist"),
        {"action": "suspend_walkers", "_selected_action": [ready_walker.pk]},
        follow=True,
    )
    assert booking.reference in response.content.decode()
    assert "needs a new walker" in response.content.decode()
    booking.refresh_from_db()
    assert booking.walker is None


def test_unticking_active_in_admin_releases_walks(staff_client, ready_walker, owner):
    booking = BookingFactory(
        owner=owner, walker=ready_walker, status=Booking.Status.CONFIRMED
    )
    data = admin_form_data(staff_client.get(change_url(ready_walker)))
    data.pop("is_active")
    response = staff_client.post(change_url(ready_walker), data, follow=True)
    assert booking.reference in response.content.decode()
    booking.refresh_from_db()
    assert booking.walker is None


# Eligibility in the admin


def test_admin_eligibility_page_explains_refusals(staff_client, ready_walker, staff):
    applicant = WalkerProfileFactory(user__first_name="Putri", user__last_name="W")
    applicant.stages.all().delete()
    booking = BookingFactory(starts_at=walk_start(days=2, hour=9))
    url = reverse("admin:walkers_walkerprofile_eligibility")
    response = staff_client.get(url, {"booking": booking.reference})
    rows = {str(walker): problems for walker, problems in response.context["rows"]}
    assert rows[str(ready_walker)] == []
    assert any("Not verified" in p for p in rows["Putri W"])
    assert b"Not verified" in response.content


def test_admin_eligibility_unknown_reference(staff_client):
    url = reverse("admin:walkers_walkerprofile_eligibility")
    response = staff_client.get(url, {"booking": "NOPE1234"})
    assert b"No booking has the reference" in response.content


def test_admin_eligibility_needs_staff(client, owner):
    client.force_login(owner)
    response = client.get(reverse("admin:walkers_walkerprofile_eligibility"))
    assert response.status_code == 302


def test_admin_list_links_to_eligibility(staff_client):
    response = staff_client.get(reverse("admin:walkers_walkerprofile_changelist"))
    assert (
        reverse("admin:walkers_walkerprofile_eligibility").encode() in response.content
    )


def test_admin_assign_offers_only_assignable_walkers(staff_client, ready_walker):
    applicant = WalkerProfileFactory(user__first_name="Putri", user__last_name="W")
    applicant.stages.all().delete()
    booking = BookingFactory()
    response = staff_client.post(
        reverse("admin:bookings_booking_changelist"),
        {"action": "assign_walker_action", "_selected_action": [booking.pk]},
    )
    choices = [
        value for value, _label in response.context["form"].fields["walker"].choices
    ]
    assert ready_walker.pk in [getattr(value, "value", value) for value in choices]
    assert applicant.pk not in [getattr(value, "value", value) for value in choices]
