"""Defect 17 of issue 9: the application form showed model paths instead of labels."""

import re

import pytest
from django.conf import settings

MODEL_PATH = re.compile(r"\b[A-Za-z]+\.[A-Z][a-zA-Z]+\.[a-z_]+\b")
EXPECTED = {
    "de": ["Projekttitel", "Projektbeginn", "Projektende"],
    "en": ["Project title", "Project start", "Project end"],
}


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["de", "en"])
def test_defect_17_application_form_labels_are_words_not_model_paths(
    client, provider, draft, language
):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    client.force_login(provider)
    for path in ("/applications/new/", f"/applications/{draft.pk}/edit/"):
        page = client.get(path).content.decode()
        labels = re.findall(r"<label[^>]*>(.*?)</label>", page, re.DOTALL)
        assert len(labels) > 15
        text = " ".join(re.sub(r"<[^>]+>", "", label) for label in labels)
        assert not MODEL_PATH.search(text), text
        assert "declares_not_started" not in text
        for word in EXPECTED[language]:
            assert word in text, (path, word, text)
