"""Complaints in a station ledger referred to the bureau, and the outcome coming back (LC-3)."""
