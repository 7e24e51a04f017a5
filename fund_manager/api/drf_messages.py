"""Django REST framework messages that the project translates itself.

DRF's German catalogue addresses the reader informally in a few messages ("Stelle sicher, dass
…", "Gib ein gültiges …"); the product speaks formally ("Sie"). The project catalogue
(LOCALE_PATHS) takes precedence over DRF's, so the msgids below are translated there. They are
listed here, marked with gettext_noop, so that ``makemessages`` keeps them in the catalogue.
"""

from django.utils.translation import gettext_noop

OVERRIDDEN = [
    gettext_noop("Ensure this field has no more than {max_length} characters."),
    gettext_noop("Ensure this field has at least {min_length} characters."),
    gettext_noop("Ensure this value is less than or equal to {max_value}."),
    gettext_noop("Ensure this value is greater than or equal to {min_value}."),
    gettext_noop("Ensure that there are no more than {max_digits} digits in total."),
    gettext_noop("Ensure that there are no more than {max_decimal_places} decimal places."),
    gettext_noop(
        "Ensure that there are no more than {max_whole_digits} digits before the decimal point."
    ),
    gettext_noop('Enter a valid "slug" consisting of letters, numbers, underscores or hyphens.'),
    gettext_noop(
        'Enter a valid "slug" consisting of Unicode letters, numbers, underscores, or hyphens.'
    ),
    gettext_noop("Enter a valid URL."),
    gettext_noop("Enter a valid email address."),
    gettext_noop("Ensure this filename has at most {max_length} characters (it has {length})."),
]
