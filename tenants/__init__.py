"""The tenant workspace: one package (and blueprint) per feature, all under /t/<slug>/."""

FEATURES = ("dashboard", "members", "audit", "settings")


def init_app(app):
    import importlib

    for name in FEATURES:
        module = importlib.import_module(f"tenants.{name}")
        app.register_blueprint(module.bp)
