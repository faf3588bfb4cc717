"""What a search finds: accents and case ignored, countries by name, code and alias, topics by
name, OR, "quoted phrases", punctuation passed by; on whichever database the suite runs."""

import pytest
from django.core.exceptions import ValidationError

from agreements.models import Agreement, Commitment, Country, Leader, Meeting, Topic
from agreements.search import MAX_ALTERNATIVES, MAX_WORDS, as_text, terms

from .factories import make_agreement, make_commitment, make_leader, make_meeting

pytestmark = pytest.mark.django_db


def found(model, text):
    return set(model.objects.matching(text).values_list("pk", flat=True))


def test_a_query_is_terms_of_alternatives_of_phrases():
    assert terms('GCAP OR LNG "critical minerals"') == ((("gcap",), ("lng",)), (("critical", "minerals"),))
    assert terms("A.I. — & U.S.A co-operation") == ((("ai",),), (("usa",),), (("co", "operation"),))
    assert terms("OR space OR") == ((("space",),),)
    assert terms("space space or Moon") == ((("space",),), (("or",),), (("moon",),))
    assert terms("“Élysée” 3.5") == ((("élysée",),), (("3", "5"),))
    assert terms('"unclosed phrase') == ((("unclosed", "phrase"),),)
    assert as_text(terms('gcap OR "joint statement" lng')) == 'gcap OR "joint statement" lng'


def test_a_query_is_bounded_in_words_and_alternatives():
    assert len(terms(" ".join(["w"] * MAX_WORDS))) == 1  # one term: the same word repeated
    with pytest.raises(ValidationError, match="at most 10 words"):
        terms(" ".join(f"w{n}" for n in range(MAX_WORDS + 1)))
    with pytest.raises(ValidationError, match="at most 5 alternatives"):
        terms(" OR ".join(f"w{n}" for n in range(MAX_ALTERNATIVES + 1)))


def test_country_names_codes_and_aliases_find_the_records_of_that_country():
    meeting = make_meeting(countries=("GB", "JP"), title="Talks in London", city="London")
    commitment = make_commitment(
        meeting=make_meeting(title="Other talks"), summary="A fighter jet", parties=["GB", "IT"]
    )
    for text in ("UK", "Britain", "great britain", "GB", "GBR", "United Kingdom", "northern ireland"):
        assert found(Meeting, text) == {meeting.pk}, text
        assert commitment.pk in found(Commitment, text), text
    assert found(Meeting, "Italy") == {commitment.meeting.pk}  # the default countries: IT and JP


def test_topic_names_and_party_names_find_commitments():
    defence = Topic.objects.get(slug="defence-security")
    own = make_commitment(topic=defence, summary="Set up a consultation mechanism")
    other = make_commitment(summary="Joint lunar lander")
    assert found(Commitment, "security") == {own.pk}
    assert found(Commitment, "defence security") == {own.pk}
    Topic.objects.filter(pk=defence.pk).update(name="Defence and safety")
    assert found(Commitment, "security") == set() and found(Commitment, "safety") == {own.pk}
    assert found(Commitment, "lunar japan") == {other.pk}


def test_names_follow_parties_leaders_and_renames():
    leader = make_leader(name="Giorgia Meloni")
    meeting = make_meeting(countries=("FR", "JP"), title="Talks at the Élysée")
    commitment = make_commitment(meeting=meeting, summary="Exchange students", parties=["FR", "JP"])
    assert found(Meeting, "meloni") == set()
    meeting.leaders.add(leader)
    assert found(Meeting, "meloni") == {meeting.pk} and found(Commitment, "meloni") == {commitment.pk}
    Leader.objects.filter(pk=leader.pk).update(name="Giorgia Méloni-Test")
    assert found(Meeting, "melon") == {meeting.pk}
    meeting.leaders.remove(leader)
    assert found(Meeting, "meloni") == set()
    commitment.parties.set(["DE", "JP"])
    assert commitment.pk in found(Commitment, "germany") and commitment.pk in found(Commitment, "france")
    meeting.countries.set(["DE", "JP"])
    assert found(Commitment, "france") == set() and found(Meeting, "france") == set()
    Country.objects.filter(code="DE").update(other_names="Allemagne")
    assert found(Meeting, "allemagne") == {meeting.pk} and found(Commitment, "allemagne") == {commitment.pk}
    assert found(Meeting, "elysee") == {meeting.pk} and found(Meeting, "ÉLYSÉE") == {meeting.pk}


def test_or_and_quoted_phrases():
    gcap = make_commitment(summary="Accelerate joint development of the GCAP fighter")
    lng = make_commitment(summary="Long-term LNG supply")
    minerals = make_commitment(summary="Cooperate on critical minerals supply chains")
    make_commitment(summary="Minerals are critical to us")
    assert found(Commitment, "GCAP OR LNG") == {gcap.pk, lng.pk}
    assert found(Commitment, "gcap OR lng supply") == {lng.pk}
    assert found(Commitment, '"critical minerals"') == {minerals.pk}
    assert found(Commitment, '"critical minerals" OR gcap') == {minerals.pk, gcap.pk}
    assert found(Commitment, '"long term"') == {lng.pk}


def test_punctuation_is_no_word_and_dotted_letters_are_one():
    ai = make_commitment(summary="Cooperation on AI safety")
    aid = make_commitment(summary="Aid to Italy after an earthquake")
    assert found(Commitment, "A.I.") == {ai.pk}  # a two-letter word is whole: not "aid"
    assert found(Commitment, "aid") == {aid.pk}
    assert found(Commitment, "ai — &") == found(Commitment, "AI")
    assert found(Commitment, "— &") == set(Commitment.objects.values_list("pk", flat=True))


def test_the_agreement_list_refuses_a_query_beyond_the_bounds(client, db):
    response = client.get("/agreements/", {"q": " OR ".join("abcdef")})
    assert response.status_code == 400 and "Join at most 5 alternatives with OR." in response.content.decode()


def test_agreements_leaders_and_countries_match_without_accents():
    agreement = make_agreement(title="Déclaration conjointe sur l'énergie")
    assert found(Agreement, "declaration OR treaty") == {agreement.pk}
    assert found(Agreement, '"declaration conjointe"') == {agreement.pk}
    leader = make_leader(name="José Ramos-Horta")
    assert found(Leader, "jose ramos") == {leader.pk} and found(Leader, "horta OR nobody") == {leader.pk}
    assert found(Leader, "ose") == set()
    assert set(Country.objects.matching("UK").values_list("code", flat=True)) == {"GB"}
    assert "CI" in set(Country.objects.matching("Cote d'Ivoire").values_list("code", flat=True))


# The seed's record, as the issue "Reader experience" found it


def commitments_found(client, text):
    return client.get("/commitments/", {"q": text}).content.decode()


@pytest.mark.parametrize("text", ["UK", "Britain", "Great Britain"])
def test_seed_the_united_kingdom_by_its_everyday_names(seed, text):
    gcap = Commitment.objects.get(summary__contains="GCAP")
    assert gcap.pk in found(Commitment, text)


def test_seed_topic_and_party_names(seed):
    defence = set(Commitment.objects.filter(topic__slug="defence-security").values_list("pk", flat=True))
    assert len(defence) == 4 and defence <= found(Commitment, "security")
    italy = set(Commitment.objects.filter(parties="IT").values_list("pk", flat=True))
    assert len(italy) == 13 and found(Commitment, "Italy") == italy


def test_seed_or_phrases_and_dotted_letters(seed):
    assert len(found(Commitment, "GCAP OR LNG")) >= 2
    assert found(Commitment, "GCAP OR LNG") == found(Commitment, "GCAP") | found(Commitment, "LNG")
    assert (
        found(Commitment, "A.I.")
        == found(Commitment, "AI")
        != set(Commitment.objects.values_list("pk", flat=True))
    )


def test_seed_list_pages_search_the_same_way(client, seed):
    page = commitments_found(client, "Britain")
    assert "GCAP" in page and "1 commitment" in page
