"""Planning what people do on the website: browsing (anonymous until a form says who they
are), form submissions on landing pages, event registrations and attendance."""

from __future__ import annotations

import math
import random
import re
from datetime import datetime, timedelta

from leadflow.services.demo import data
from leadflow.services.demo.month import DAYS, Month, propensity
from leadflow.services.demo.plan import Person, Signup

FROM_CLICK = 0.6  # of the people who clicked the signup's email, how many then sign up
PRICING = "/pricing"


def sign_up(month: Month, signup: Signup, rng: random.Random) -> None:
    """Plan the signup's form submissions and registrations."""
    keys = [k for k in (signup.page, signup.event) if k is not None]
    chosen = _known(month, signup, keys, rng)
    for _ in range(signup.new):
        chosen.append((_newcomer(month, rng), month.within(rng, *signup.days)))
    for person, when in chosen:
        _submit(month, signup, person, when, rng)


def attend(month: Month, rng: random.Random) -> None:
    """Registrants of an event of the past month attend it, the engaged ones more often."""
    share = month.activity.attendance
    for event in month.demo.events:
        starts = event.starts_at
        if starts is None or not month.ago(DAYS) <= starts <= month.now:
            continue
        for person, registered in month.submitted[event.key]:
            if registered >= starts or rng.random() >= share * (0.5 + person.propensity):
                continue
            month.plan.add("event_attended", starts + timedelta(minutes=rng.randint(0, 10)),
                           event=event.key, contact_email=person.email,
                           duration_seconds=rng.randint(15, 60) * 60)
            if rng.random() < person.propensity:  # a live demo sends people to the prices
                _session(month, person, starts + timedelta(hours=rng.uniform(1, 30)), rng,
                         pricing=True)


def browse(month: Month, rng: random.Random) -> None:
    """Website sessions of everyone, plus visitors who never say who they are."""
    for person in [*month.people, *month.newcomers]:
        count = _poisson(rng, month.activity.sessions * person.propensity)
        moments = [month.within(rng, DAYS, 0) for _ in range(count)]
        if person.identified_at is not None:  # newcomers look around before their first form
            first = person.identified_at
            start = max(month.ago(DAYS), first - timedelta(days=3))
            moments.append(start + (first - start) * rng.uniform(0.1, 0.9))
        for when in moments:
            _session(month, person, when, rng)
    for _ in range(month.activity.anonymous):
        stranger = Person(email="", visitor=f"v-{rng.getrandbits(48):012x}",
                          propensity=propensity(rng), known=False)
        for _ in range(rng.randint(1, 2)):
            _session(month, stranger, month.within(rng, DAYS, 0), rng)


def _known(month: Month, signup: Signup, keys: list[str], rng: random.Random
           ) -> list[tuple[Person, datetime]]:
    """Contacts who sign up: first people who clicked the email, then the most engaged."""
    done = {id(p) for key in keys for p, _ in month.submitted[key]}
    oldest, newest = month.ago(signup.days[0]), month.ago(signup.days[1])
    chosen: list[tuple[Person, datetime]] = []
    for person, clicked in month.clicks.get(signup.email or "", []):
        if (len(chosen) < signup.known and oldest <= clicked <= newest and id(person) not in done
                and rng.random() < FROM_CLICK):
            chosen.append((person, clicked + timedelta(seconds=rng.randint(30, 600))))
            done.add(id(person))
    pool = [p for p in month.people if id(p) not in done]
    weights = [p.propensity ** 2 for p in pool]
    while len(chosen) < signup.known and pool:
        index = rng.choices(range(len(pool)), weights)[0]
        chosen.append((pool.pop(index), month.within(rng, *signup.days)))
        weights.pop(index)
    return chosen


def _submit(month: Month, signup: Signup, person: Person, when: datetime,
            rng: random.Random) -> None:
    if not person.known and (person.identified_at is None or when < person.identified_at):
        person.identified_at = when
    if signup.page is not None:
        page = month.page(signup.page)
        month.plan.add("form_submitted", when, landing_page=page.key, url=page.url,
                       contact_email=person.email, visitor_id=person.visitor,
                       contact=dict(person.form))
        month.submitted[page.key].append((person, when))
    if signup.event is not None:
        registered = when + timedelta(seconds=rng.randint(1, 5))
        month.plan.add("event_registered", registered, event=signup.event,
                       contact_email=person.email)
        month.submitted[signup.event].append((person, registered))


def _session(month: Month, person: Person, start: datetime, rng: random.Random,
             pricing: bool = False) -> None:
    """A few page views; engaged people look at pricing more often."""
    urls = [month.url(rng) for _ in range(1 + _poisson(rng, 0.6))]
    if pricing or rng.random() < 0.9 * person.propensity:
        urls.insert(rng.randint(0, len(urls)), month.activity.site + PRICING)
    # Who the tracking script knows: a known contact is recognised; anyone else stays a
    # cookie until a form says who they are (the ingestion then gives them these visits).
    who = {"contact_email": person.email} if person.known else {"visitor_id": person.visitor}
    when = start
    for url in urls:
        if when > month.now:
            return
        seconds = rng.randint(5, 240)
        month.plan.add("website_visited", when, url=url, duration_seconds=seconds, **who)
        when += timedelta(seconds=seconds + rng.randint(1, 20))


def _newcomer(month: Month, rng: random.Random) -> Person:
    """Someone the company does not know yet: a colleague at a known account, someone at a
    new company, or someone with a personal address."""
    first, last = rng.choice(data.FIRST_NAMES), rng.choice(data.LAST_NAMES)
    titles, weights = zip(*data.JOB_TITLES, strict=True)
    place = rng.choice(data.PLACES)
    form = {"first_name": first, "last_name": last, "job_title": rng.choices(titles, weights)[0],
            "city": place.city, "country": place.country}
    roll = rng.random()
    if roll < 0.5 and month.demo.accounts:
        account = rng.choice(month.demo.accounts)
        domain, form["company"] = account.domain or "", account.name
        form.update(city=account.city or place.city, country=account.country or place.country)
    elif roll < 0.85:
        industry = rng.choice(data.INDUSTRIES)
        name = f"{rng.choice(data.COMPANY_STEMS)} {rng.choice(industry.suffixes)} Group"
        domain = re.sub(r"[^a-z0-9]", "", name.lower()) + "." + industry.tld
        form["company"] = name
    else:
        domain = rng.choice(data.PERSONAL_DOMAINS)
        del form["job_title"]
    if domain and "company" in form:
        form["domain"] = domain
    person = Person(email=_unique_email(month, first, last, domain), visitor=(
        f"v-{rng.getrandbits(48):012x}"), propensity=max(0.3, propensity(rng)), known=False,
        form=form)
    month.newcomers.append(person)
    return person


def _unique_email(month: Month, first: str, last: str, domain: str) -> str:
    taken = {p.email for p in [*month.people, *month.newcomers]}
    local = re.sub(r"[^a-z.]", "", f"{first}.{last}".lower())
    for n in range(1, 1000):
        email = f"{local}{n if n > 1 else ''}@{domain}"
        if email not in taken:
            return email
    raise AssertionError("ran out of email addresses")  # pragma: no cover


def _poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method: fine for the small means used here."""
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count
