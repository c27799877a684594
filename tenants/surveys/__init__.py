"""Questionnaire rounds sent to member enterprises, answered in their workspace (LC-2)."""
