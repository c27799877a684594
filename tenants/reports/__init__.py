"""Periodic reports of a base to its bureau (TJ-6 work report, CQ-4 half-year and year-end progress reports, XC-2 annual summary)."""
