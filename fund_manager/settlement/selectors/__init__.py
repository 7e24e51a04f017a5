"""Reads of the settlement (issue 11), with the visibility rule built into the queryset."""
