"""The funding type of a grant (Finanzierungsart, VV zu § 44 LHO NRW no. 2.2) and the terms
that follow from it. Pure data and functions: the settlement rules live in
``policies.settlement``."""

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _


class FundingType(TextChoices):
    """How the grant relates to the costs; it decides how savings are settled at the end."""

    DEFICIT = "deficit", _("Deficit financing (Fehlbedarfsfinanzierung)")
    SHARE = "share", _("Share financing (Anteilfinanzierung)")
    FIXED = "fixed", _("Fixed-amount financing (Festbetragsfinanzierung)")


# ANBest-P no. 7: the proof of use is due within six months after the project end; a fund may
# set a shorter period, never a longer one.
MAX_PROOF_OF_USE_MONTHS = 6
