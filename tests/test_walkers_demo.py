"""The demo walkers: every pipeline stage, and verified walkers in each area."""

from typing import Any

import pytest
from django.utils import translation

from tests.factories import BookingFactory
from walkers.demo import WALKERS, load_walkers
from walkers.eligibility import eligibility_problems_for
from walkers.models import STAGE_ORDER, WalkerProfile


@pytest.fixture(autouse=True)
def _private_root(settings: Any, tmp_path: Any) -> Any:
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    with translation.override("en"):
        yield


def test_demo_walkers_cover_every_stage(db):
    logins = load_walkers()
    assert len(logins) == len(WALKERS)
    walkers = WalkerProfile.objects.prefetch_related("stages")
    pipelines = {walker.user.email: walker.pipeline() for walker in walkers}
    passed_counts = {len(p.passed) for p in pipelines.values() if not p.failed}
    assert passed_counts == set(range(len(STAGE_ORDER) + 1))
    assert any(p.failed for p in pipelines.values())


def test_demo_has_verified_walkers_in_every_area(db):
    load_walkers()
    verified = WalkerProfile.objects.verified_active()
    areas = set(verified.values_list("areas__slug", flat=True))
    assert areas == {"jakarta", "tangerang", "gading-serpong"}


def test_demo_walkers_have_documents(db):
    load_walkers()
    for walker in WalkerProfile.objects.all():
        assert set(walker.documents.values_list("kind", flat=True)) == {"ktp", "skck"}


def test_demo_runs_twice(db):
    load_walkers()
    counts = (
        WalkerProfile.objects.count(),
        sum(w.stages.count() for w in WalkerProfile.objects.all()),
        sum(w.documents.count() for w in WalkerProfile.objects.all()),
    )
    load_walkers()
    again = (
        WalkerProfile.objects.count(),
        sum(w.stages.count() for w in WalkerProfile.objects.all()),
        sum(w.documents.count() for w in WalkerProfile.objects.all()),
    )
    assert again == counts


def test_demo_logins_work(client, db):
    logins = load_walkers()
    first = logins[0]
    assert client.login(email=first["email"], password=first["password"])


def test_demo_verified_walker_can_take_a_jakarta_walk(db):
    load_walkers()
    agus = WalkerProfile.objects.get(user__email="agus.walker@pompygo.test")
    putri = WalkerProfile.objects.get(user__email="walker.applied@pompygo.test")
    booking = BookingFactory()
    problems = eligibility_problems_for(booking, [agus, putri])
    assert problems[agus.pk] == []
    assert problems[putri.pk] != []
