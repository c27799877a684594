"""Demonstration units recognised, not declared: unit applications, recognitions, re-reviews.

The blueprint is imported on first use, not with the package: the metrics service imports
`recognition.queries`, and the views import the schemes, which import the metrics service.
"""


def __getattr__(name):
    if name == "bp":
        from .views import bp

        return bp
    raise AttributeError(name)
